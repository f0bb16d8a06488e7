# Objects, arrays and every scalar; whitespace around tokens is allowed.
builtins.fromJSON ''
  {
    "string": "text",
    "numbers": [0, -0, 1, -17, 1.5, -0.25, 1e3, 2E-2, 1.0, 9223372036854775807, -9223372036854775808],
    "big": [-9223372036854775809, 18446744073709551616, 1e300],
    "literals": [true, false, null],
    "empty": [{}, [], ""],
    "nested": {"a": {"b": [[{"c": 1}]]}},
    "key with spaces": 1,
    "": "empty key"
  }
''
