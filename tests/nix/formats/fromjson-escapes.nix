# Escapes, including surrogate pairs; \b and \f become control characters.
[
  (builtins.fromJSON ''"\" \\ \/ \n \r \t \u00e9 \u2192 \ud83d\ude00"'')
  (builtins.stringLength (builtins.fromJSON ''"\b\f"''))
  (builtins.fromJSON ''"é → 😀 raw UTF-8"'')
]
