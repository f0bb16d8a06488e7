# Paths are copied to the store; a __toString result that is a path is not.
[
  (builtins.toJSON [ ./tojson-path-data.txt { outPath = ./tojson-path-data.txt; } ])
  (baseNameOf (builtins.fromJSON (builtins.toJSON { __toString = self: ./tojson-path-data.txt; })))
]
