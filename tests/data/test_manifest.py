from rashomon.data.manifest import sorted_ids


def test_numbered_ids_sort_numerically_then_text_ids():
    assert sorted_ids({"10", "2", "1", "b", "a10", "a9"}) == ["1", "2", "b", "10", "a9", "a10"]
