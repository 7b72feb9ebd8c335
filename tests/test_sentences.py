"""The sentence splitter: offsets slice the text exactly, and it keeps numbers and quotes whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from train.corpus.sentences import split_sentences


def _texts(text: str) -> list[str]:
    return [text[s.start:s.end] for s in split_sentences(text)]


def test_keeps_clock_times_and_decimals_whole():
    text = "وصل الوفد الساعة 05:51 مساء. ارتفع المؤشر 2.5 في المئة."
    assert _texts(text) == ["وصل الوفد الساعة 05:51 مساء.", "ارتفع المؤشر 2.5 في المئة."]


def test_splits_on_arabic_question_mark():
    text = "هل زار حفتر موسكو؟ نعم زارها أمس! ثم عاد."
    assert _texts(text) == ["هل زار حفتر موسكو؟", "نعم زارها أمس!", "ثم عاد."]


def test_splits_on_line_breaks_and_drops_blank_lines():
    text = "عنوان الخبر\n\nالفقرة الأولى\r\nالفقرة الثانية"
    assert _texts(text) == ["عنوان الخبر", "الفقرة الأولى", "الفقرة الثانية"]


def test_no_split_inside_a_closed_quote():
    text = "وقال: «الزيارة ناجحة. والعلاقات جيدة». ثم غادر."
    assert _texts(text) == ["وقال: «الزيارة ناجحة. والعلاقات جيدة».", "ثم غادر."]


def test_unclosed_quote_does_not_swallow_the_line():
    text = "قال “الزيارة ناجحة. ثم غادر."
    assert len(_texts(text)) == 2


def test_abbreviations_and_urls():
    text = "قال د. يوسف الفارسي إن الزيارة مهمة. Photos: pic.twitter.com/x Dr. Smith left."
    assert _texts(text) == ["قال د. يوسف الفارسي إن الزيارة مهمة.", "Photos: pic.twitter.com/x Dr. Smith left."]


def test_runs_of_terminators_end_once():
    assert _texts("سكون سياسي.. والقيادة تعلق؟! المشاركة") == ["سكون سياسي..", "والقيادة تعلق؟!", "المشاركة"]


def test_offsets_slice_exactly_and_are_trimmed():
    text = "  أولا.   ثانيا؟\n ثالثا  "
    spans = split_sentences(text)
    assert [(s.start, s.end) for s in spans] == [(2, 7), (10, 16), (18, 23)]
    assert [text[s.start:s.end] for s in spans] == ["أولا.", "ثانيا؟", "ثالثا"]


@given(st.text(alphabet=st.sampled_from(list("ab ج.؟?!\n«»“”\"2:5\u200f\u064b")), max_size=80))
def test_property_ordered_nonempty_trimmed_and_deterministic(text):
    spans = split_sentences(text)
    assert spans == split_sentences(text)
    prev = 0
    for s in spans:
        assert prev <= s.start < s.end <= len(text)
        piece = text[s.start:s.end]
        assert piece == piece.strip() and "\n" not in piece
        prev = s.end
    # Nothing but white space is left outside the sentences.
    covered = set().union(*(range(s.start, s.end) for s in spans)) if spans else set()
    assert all(text[i].isspace() or text[i] == "\ufeff" for i in range(len(text)) if i not in covered)


def test_one_long_line_of_quotes_and_periods_splits_in_linear_time():
    """About 1 MB on one line: linear work is a few seconds, the old quadratic scan took minutes."""
    import subprocess
    import sys

    code = ("from train.corpus.sentences import split_sentences\n"
            "n = 55_000\n"
            "spans = split_sentences('«روسيا» وصل الوفد. ' * n)\n"
            "assert len(spans) == n, len(spans)\n")
    try:
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError("split_sentences on a 1 MB line did not finish within 60 s: not linear") from None
