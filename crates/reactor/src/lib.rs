//! ferrio-reactor: the I/O driver over `polling` (epoll, kqueue, IOCP), `Async<T>`,
//! TCP/UDP/Unix sockets, asyncio-style streams, signals and subprocess pipes.
