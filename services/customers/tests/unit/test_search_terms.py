"""Search terms as SQL sees them: LIKE wildcards taken literally, and bigrams for the index."""

from services.customers.search import bigrams, like_pattern


def test_like_wildcards_in_a_term_are_taken_literally():
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"


def test_bigrams_are_the_distinct_pairs_in_order():
    assert bigrams("张伟张伟") == ["伟张", "张伟"]
    assert bigrams("ab") == ["ab"]
