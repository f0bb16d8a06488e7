fetchMercurial "https://example.com/repo"
