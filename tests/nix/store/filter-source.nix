# filterSource is builtins.path with a filter and the path's own name.
[
  (builtins.filterSource (path: type: true) ./data)
  (builtins.filterSource (path: type: type == "regular") ./data)
  (builtins.filterSource (path: type: type != "regular") ./data)
  (builtins.filterSource (path: type: false) ./data/sub)
  (builtins.filterSource (path: type: true) "${toString ./data}")
  (builtins.filterSource (path: type: true) ./data == builtins.path { path = ./data; })
]
