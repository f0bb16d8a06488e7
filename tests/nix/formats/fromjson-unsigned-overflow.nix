builtins.fromJSON "{\"a\": 18446744073709551615}"
