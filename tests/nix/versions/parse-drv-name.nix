map builtins.parseDrvName [
  "hello-1.0.2"
  "hello"
  "915resolution-0.5.2"
  "xf86-video-i810-1.7.4"
  "name-that-ends-with-dash--1.0"
  "foo-"
  "-1.0"
  "foo-bar"
]
