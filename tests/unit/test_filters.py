"""A source's include/exclude rules on title and content."""

import pytest

from feedhub.filters import check_rule, passes


def test_passes_without_rules_lets_everything_through():
    assert passes("Anything", "at all", include=[], exclude=[])


def test_keyword_include_matches_title_or_text_case_insensitively():
    assert passes("Python 3.13 released", "", include=["python"], exclude=[])
    assert passes("News", "all about PYTHON", include=["Python"], exclude=[])


def test_keyword_include_rejects_entries_that_do_not_mention_it():
    assert not passes("Rust 2.0", "a systems language", include=["python"], exclude=[])


def test_any_one_include_rule_is_enough():
    assert passes("Go news", "", include=["python", "go"], exclude=[])


def test_keyword_exclude_rejects_matching_entries_case_insensitively():
    assert not passes("SPONSORED: buy now", "", include=[], exclude=["sponsored"])
    assert passes("Real article", "", include=[], exclude=["sponsored"])


def test_keyword_matching_handles_unicode_case_folding():
    assert passes("STRASSE", "", include=["straße"], exclude=[])
    assert not passes("标题", "正文有广告", include=[], exclude=["广告"])


def test_exclude_wins_over_include():
    assert not passes("Python ad", "sponsored", include=["python"], exclude=["sponsored"])


def test_include_and_exclude_together_need_a_hit_and_no_miss():
    assert passes("Python tips", "", include=["python"], exclude=["sponsored"])
    assert not passes("Rust tips", "", include=["python"], exclude=["sponsored"])


def test_regex_rules_are_searched_case_insensitively():
    assert passes("Release v2.10", "", include=[r"/v\d+\.\d+/"], exclude=[])
    assert not passes("Release notes", "", include=[r"/v\d+\.\d+/"], exclude=[])
    assert passes("BREAKING news", "", include=["/^breaking/"], exclude=[])


def test_regex_exclude_rejects_matching_entries():
    assert not passes("Weekly digest #12", "", include=[], exclude=[r"/digest\s+#\d+/"])


def test_a_rule_is_only_a_regex_when_wrapped_in_slashes():
    # "a.c" as a keyword is literal: the dot does not match any character.
    assert not passes("abc", "", include=["a.c"], exclude=[])
    assert passes("abc", "", include=["/a.c/"], exclude=[])
    # A single slash or a half-wrapped rule is a plain keyword.
    assert passes("either/or", "", include=["/"], exclude=[])
    assert passes("path /usr", "", include=["/usr"], exclude=[])


@pytest.mark.parametrize("rule", ["python", "/py(thon)?/", "/", "a/b", r"/\d+/"])
def test_check_rule_returns_a_valid_rule_unchanged(rule):
    assert check_rule(rule) == rule


@pytest.mark.parametrize("rule", ["/[unclosed/", "/(a/", "/*x/", r"/a{2,1}/"])
def test_check_rule_raises_value_error_on_a_bad_regex(rule):
    with pytest.raises(ValueError, match="bad regular expression"):
        check_rule(rule)


def test_check_rule_does_not_treat_keywords_as_regexes():
    assert check_rule("[unclosed") == "[unclosed"
