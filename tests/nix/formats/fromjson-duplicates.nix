# A repeated key keeps its last value.
builtins.fromJSON ''{"a": 1, "b": 2, "a": {"c": 3}}''
