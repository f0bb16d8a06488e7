builtins.hashFile "md5" ./no-such-file
