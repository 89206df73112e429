"""Issue 10 finding 7 (part): offsets beyond 64-bit answer 422 naming the field, not a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/prospects", "/qualify/drafts"])
def test_huge_offset_is_a_422_naming_the_field(client, make_provider, path):
    alice = make_provider()
    response = client.get(path, params={"offset": str(2**64)}, headers=alice.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "offset" in response.text
