builtins.fetchGit { url = "https://example.com/repo.git"; }
