"""Durations and sizes as written in config.yaml."""

import math

import pytest

from feedhub.units import parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1w", 604800.0),
        ("500ms", 0.5),
        ("1.5h", 5400.0),
    ],
)
def test_parse_duration_reads_each_unit(text, seconds):
    assert parse_duration(text) == seconds


def test_parse_duration_sums_compound_durations():
    assert parse_duration("1h30m") == 5400.0
    assert parse_duration("1d2h3m4s") == 86400 + 7200 + 180 + 4


def test_parse_duration_ignores_case_and_inner_spaces():
    assert parse_duration("2H") == 7200.0
    assert parse_duration(" 1h 30m ") == 5400.0


@pytest.mark.parametrize(("number", "seconds"), [(45, 45.0), (2.5, 2.5), (3600, 3600.0)])
def test_parse_duration_takes_plain_numbers_as_seconds(number, seconds):
    result = parse_duration(number)
    assert result == seconds
    assert isinstance(result, float)


@pytest.mark.parametrize(
    "bad",
    ["3x", "", "   ", "m", "30", "h1", "1h30", "5m!", "-5m", "1.h", None, [30], {"s": 30}],
)
def test_parse_duration_rejects_malformed_input(bad):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(bad)


@pytest.mark.parametrize("flag", [True, False])
def test_parse_duration_rejects_booleans_even_though_they_are_ints(flag):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(flag)


@pytest.mark.parametrize("value", [0, 0.0, -1, -30.5, "0s", "0m0s", "0h"])
def test_parse_duration_rejects_zero_and_negative_lengths(value):
    with pytest.raises(ValueError, match="longer than zero"):
        parse_duration(value)


def test_parse_duration_rejects_nan():
    # YAML's `.nan` arrives as float('nan'); it is not a length of time and would crash the
    # scheduler later (timedelta(seconds=nan) raises).
    with pytest.raises(ValueError):
        parse_duration(math.nan)


def test_parse_duration_error_quotes_the_offending_value():
    with pytest.raises(ValueError, match=r"'3x'"):
        parse_duration("3x")


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10MB", 10_000_000),
        ("512KB", 512_000),
        ("1GB", 1_000_000_000),
        ("1.5GB", 1_500_000_000),
        ("10M", 10_000_000),
        ("7B", 7),
    ],
)
def test_parse_size_reads_decimal_units(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("8MiB", 8 * 1024 * 1024),
        ("512KiB", 512 * 1024),
        ("2GiB", 2 * 1024**3),
        ("4Ki", 4096),
    ],
)
def test_parse_size_reads_binary_units(text, size):
    assert parse_size(text) == size


def test_parse_size_ignores_case_and_spaces_around_the_unit():
    assert parse_size("10 mb") == 10_000_000
    assert parse_size(" 8mib ") == 8 * 1024 * 1024


def test_parse_size_takes_plain_integers_and_digit_strings_as_bytes():
    assert parse_size(4096) == 4096
    assert parse_size("100") == 100


@pytest.mark.parametrize("bad", ["", "MB", "10XB", "10 M B", "-1", "1e3", "ten", None, 1.5, True])
def test_parse_size_rejects_malformed_input(bad):
    with pytest.raises(ValueError, match="is not a size"):
        parse_size(bad)


@pytest.mark.parametrize("value", [0, -5, "0", "0MB", "0.5B"])
def test_parse_size_rejects_sizes_that_are_not_positive(value):
    with pytest.raises(ValueError, match="larger than zero"):
        parse_size(value)
