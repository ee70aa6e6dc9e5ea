"""Feeds in the legacy charsets old CJK and Cyrillic sites still serve, declared nowhere."""

# A few sentences per language, as an item's description would carry them.
TEXTS = {
    "gbk": "阿里腾讯要互联互通的消息，已经从年初传到了现在。如果说之前传的沸沸扬扬的都是绯闻，"
           "最近几天的消息，已经到了正主回应的环节。本以为这是两家已经商量好的事情。",
    "big5": "阿里騰訊要互聯互通的消息，已經從年初傳到了現在。如果說之前傳的沸沸揚揚的都是緋聞，"
            "最近幾天的消息，已經到了正主回應的環節。本以為這是兩家已經商量好的事情。",
    "shift_jis": "東京の天気は晴れです。今日は新しい記事を三つ公開しました。読者の皆様からの"
                 "ご意見をお待ちしております。来週は特集を予定しています。",
    "euc-kr": "서울의 날씨는 맑습니다. 오늘은 새로운 기사를 세 개 공개했습니다. 독자 여러분의 "
              "의견을 기다리고 있습니다. 다음 주에는 특집 기사를 준비하고 있습니다.",
    "windows-1251": "Сегодня в Москве солнечно. Мы опубликовали три новые статьи и ждём ваших "
                    "отзывов о нашей работе. На следующей неделе выйдет большой обзор.",
}


def title(text: str, n: int) -> str:
    """The title of item ``n`` of :func:`feed`."""
    return f"{text[:14].rstrip()} ({n})"


def feed(text: str, items: int = 4) -> str:
    """An RSS document whose XML declaration names no encoding."""
    body = "".join(f"<item><title>{title(text, n)}</title><description>{text}</description>"
                   "</item>" for n in range(items))
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>{text[:6]}</title>" \
           f"{body}</channel></rss>"
