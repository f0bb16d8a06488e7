map builtins.splitVersion [
  "1.2.3"
  "1.2pre3-rc1"
  "..1--2.."
  ""
  "abc"
  "2.3a4b"
]
