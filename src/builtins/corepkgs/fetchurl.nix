# `<nix/fetchurl.nix>`: a fixed-output derivation for the built-in URL
# fetcher. Evaluating it only names the result; nothing is downloaded.
{
  system ? "",
  url,
  hash ? "",
  md5 ? "",
  sha1 ? "",
  sha256 ? "",
  sha512 ? "",
  # The first legacy hash given wins, in this order.
  outputHash ?
    if hash != "" then hash
    else if sha512 != "" then sha512
    else if sha1 != "" then sha1
    else if md5 != "" then md5
    else sha256,
  # An SRI `hash` names its own algorithm.
  outputHashAlgo ?
    if hash != "" then ""
    else if sha512 != "" then "sha512"
    else if sha1 != "" then "sha1"
    else if md5 != "" then "md5"
    else "sha256",
  executable ? false,
  unpack ? false,
  name ? baseNameOf (toString url),
}:

derivation {
  builder = "builtin:fetchurl";
  inherit outputHashAlgo outputHash;
  outputHashMode = if unpack || executable then "recursive" else "flat";
  inherit name url executable unpack;
  system = "builtin";
  preferLocalBuild = true;
  # Proxy settings pass through; the output is checked by hash anyway.
  impureEnvVars = [
    "http_proxy"
    "https_proxy"
    "ftp_proxy"
    "all_proxy"
    "no_proxy"
  ];
  urls = [ url ];
}
