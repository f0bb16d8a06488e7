# A derivation to instantiate with Spindle and build with Nix (see the
# README): its builder is a static busybox, copied into the store from the
# directory it is in.
{ busybox ? /usr/bin/busybox }:
let
  tools = builtins.path {
    path = dirOf busybox;
    name = "busybox";
    filter = path: type: baseNameOf path == baseNameOf busybox;
  };
in
derivation {
  name = "greeting";
  system = builtins.currentSystem;
  builder = "${tools}/${baseNameOf busybox}";
  args = [ "sh" "-c" "echo 'Hello from a derivation Spindle instantiated' > $out" ];
}
