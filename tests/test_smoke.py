def test_health(client):
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/openapi.json").status_code == 200
    assert client.post("/mcp", json={}).status_code == 401
