builtins.fetchTree { type = "file"; url = "https://example.com/x"; }
