"""Slugs from titles: Chinese as pinyin, English as is, nothing spellable as nothing."""

import pytest

from core.slugs import slug_from_text


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("最美跑者", "zui-mei-pao-zhe"),
        # The phrase dictionary: 重庆 is chong-qing (a character table says zhong-qing).
        ("重庆大学夜跑", "chong-qing-da-xue-ye-pao"),
        ("绿色夜跑", "lv-se-ye-pao"),  # ü as v: plain ASCII
        ("2026 最美跑者 Best Runner!", "2026-zui-mei-pao-zhe-best-runner"),
        ("Best Runner", "best-runner"),
        ("ＢＥＳＴ　跑者", "best-pao-zhe"),  # full-width letters and space
        ("  最美\t跑者\n", "zui-mei-pao-zhe"),
        ("Café Crème", "cafe-creme"),
        ("🏃🏃‍♀️🎉", ""),
        ("——！？。", ""),
        ("", ""),
        ("\u202e\u200b", ""),  # a bidi override and a zero-width space
        ("<script>alert(1)</script>", "scriptalert1script"),
    ],
)
def test_slug_from_text(text, slug):
    assert slug_from_text(text, max_length=80) == slug


def test_a_long_title_is_cut_at_a_whole_syllable():
    slug = slug_from_text("最美跑者" * 30, max_length=30)
    assert len(slug) <= 30
    assert slug == "zui-mei-pao-zhe-zui-mei-pao"
    assert not slug.endswith("-")


def test_a_single_overlong_word_is_cut_to_fit():
    assert slug_from_text("a" * 100, max_length=10) == "a" * 10
