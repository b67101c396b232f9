// libcrypto.so for civetweb: civetweb 1.15 also dlopens "libcrypto.so", the
// unversioned name only libssl-dev installs. This library has that soname and
// depends on libcrypto.so.3, where civetweb's dlsym finds every function it
// looks up; it defines nothing itself. See ssl_shim.cc.
