# builtins.path: names, filters, flat hashing and expected hashes.
let
  onlyText =
    path: type:
    let
      name = baseNameOf path;
    in
    type == "directory" || builtins.substring (builtins.stringLength name - 4) 4 name == ".txt";
in
[
  (builtins.path { path = ./data; })
  (builtins.path { path = ./data; name = "renamed"; })
  (builtins.path { path = ./data; name = ""; })
  (builtins.path { path = ./data; filter = onlyText; })
  (builtins.path { path = ./data; filter = path: type: type != "symlink"; })
  (builtins.path { path = ./data; filter = path: type: baseNameOf path != "sub"; })
  (builtins.path { path = ./data/hello.txt; recursive = false; })
  (builtins.path { path = ./data/hello.txt; recursive = true; })
  (builtins.path { path = "${toString ./data}/sub"; })
  (builtins.path {
    path = ./data/hello.txt;
    recursive = false;
    sha256 = "00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq";
  })
  (builtins.path {
    path = ./data/hello.txt;
    recursive = false;
    sha256 = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=";
  })
  (builtins.path {
    path = ./data/sub;
    name = "sub-by-nar";
    sha256 = "14ml9qjw2rwpg9n7gal0pb05mhc71csyd4kpggla94izfjmkpa07";
  })
  (builtins.path {
    path = ./data/hello.txt;
    recursive = false;
    sha256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
  })
]
