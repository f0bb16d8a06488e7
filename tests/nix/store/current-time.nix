[
  (builtins.typeOf builtins.currentTime)
  (builtins.currentTime > 1600000000)
  (builtins.currentTime == builtins.currentTime)
]
