# fromJSON reads UTF-8: a byte that is not part of UTF-8 is an error.
builtins.fromJSON "\"a${builtins.substring 0 1 "ü"}b\""
