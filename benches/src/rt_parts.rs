//! The parts of an [`Rt`](crate::Rt) impl that only name another library: its
//! channel, its mutex, its TCP types. Each macro writes the associated types and
//! methods for one such library inside an `impl Rt`, so every runtime that uses it
//! runs the same calls.

/// A bounded channel whose receiver is `Clone` and whose `send` and `recv` return a
/// `Result` (ferrio's and async-channel's): `$chan` is the module with `Sender`,
/// `Receiver` and `bounded`; one receiver type serves one and many consumers.
macro_rules! mpmc_channel {
    ($($chan:ident)::+) => {
        type Sender<T: Send + 'static> = $($chan)::+::Sender<T>;
        type Receiver<T: Send + 'static> = $($chan)::+::Receiver<T>;
        type SharedReceiver<T: Send + 'static> = $($chan)::+::Receiver<T>;

        fn channel<T: Send + 'static>(capacity: usize) -> (Self::Sender<T>, Self::Receiver<T>) {
            $($chan)::+::bounded(capacity)
        }

        fn shared_channel<T: Send + 'static>(
            capacity: usize,
        ) -> (Self::Sender<T>, Self::SharedReceiver<T>) {
            $($chan)::+::bounded(capacity)
        }

        async fn send<T: Send + 'static>(tx: &Self::Sender<T>, value: T) {
            if tx.send(value).await.is_err() {
                panic!("bench channel: every receiver is gone");
            }
        }

        async fn recv<T: Send + 'static>(rx: &mut Self::Receiver<T>) -> Option<T> {
            rx.recv().await.ok()
        }

        async fn recv_shared<T: Send + 'static>(rx: &Self::SharedReceiver<T>) -> Option<T> {
            rx.recv().await.ok()
        }
    };
}

/// An async mutex: `$lib` is the module with `Mutex` (`new`, `lock`) and
/// `MutexGuard`.
macro_rules! async_mutex {
    ($($lib:ident)::+) => {
        type Mutex<T: Send + 'static> = $($lib)::+::Mutex<T>;
        type Guard<'a, T: Send + 'static> = $($lib)::+::MutexGuard<'a, T>;

        fn mutex<T: Send + 'static>(value: T) -> Self::Mutex<T> {
            $($lib)::+::Mutex::new(value)
        }

        fn lock<T: Send + 'static>(
            mutex: &Self::Mutex<T>,
        ) -> impl std::future::Future<Output = Self::Guard<'_, T>> + Send + '_ {
            mutex.lock()
        }
    };
}

/// TCP: `$net` is the module with `TcpListener` and `TcpStream`. The streams are
/// `$net::TcpStream`, or, after `as`, that stream wrapped in the tuple struct
/// named (for a stream that needs an adapter to the `futures-io` traits).
macro_rules! tcp {
    ($($net:ident)::+) => {
        tcp!(@ $($net)::+; $($net)::+::TcpStream;);
    };
    ($($net:ident)::+ as $wrap:ident) => {
        tcp!(@ $($net)::+; $wrap; $wrap);
    };
    (@ $($net:ident)::+; $stream:ty; $($wrap:ident)?) => {
        type Listener = $($net)::+::TcpListener;
        type Stream = $stream;

        async fn bind_local() -> std::io::Result<Self::Listener> {
            $($net)::+::TcpListener::bind("127.0.0.1:0").await
        }

        fn local_addr(listener: &Self::Listener) -> std::net::SocketAddr {
            listener
                .local_addr()
                .expect("a bound listener has an address")
        }

        async fn accept(listener: &Self::Listener) -> std::io::Result<Self::Stream> {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            Ok($($wrap)?(stream))
        }

        async fn connect(addr: std::net::SocketAddr) -> std::io::Result<Self::Stream> {
            let stream = $($net)::+::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            Ok($($wrap)?(stream))
        }
    };
}

/// The methods that act on the running runtime, each with the signature [`Rt`]
/// gives it and the body written after `=>` (the caller names the parameters, so
/// the body can use them): any of `name`, `block_on`, `spawn`, `spawn_detached`,
/// `yield_now`, `sleep`, `to_thread`, in any order.
///
/// [`Rt`]: crate::Rt
macro_rules! ambient {
    (@one name($this:ident) => $body:expr) => {
        fn name(&$this) -> &'static str {
            $body
        }
    };
    (@one block_on($this:ident, $future:ident) => $body:expr) => {
        fn block_on<F>(&$this, $future: F) -> F::Output
        where
            F: std::future::Future + Send + 'static,
            F::Output: Send + 'static,
        {
            $body
        }
    };
    (@one spawn($future:ident) => $body:expr) => {
        fn spawn<F>($future: F) -> Self::Task<F::Output>
        where
            F: std::future::Future + Send + 'static,
            F::Output: Send + 'static,
        {
            $body
        }
    };
    (@one spawn_detached($future:ident) => $body:expr) => {
        fn spawn_detached<F>($future: F)
        where
            F: std::future::Future<Output = ()> + Send + 'static,
        {
            $body;
        }
    };
    (@one yield_now() => $body:expr) => {
        fn yield_now() -> impl std::future::Future<Output = ()> + Send {
            $body
        }
    };
    (@one sleep($duration:ident) => $body:expr) => {
        fn sleep(
            $duration: std::time::Duration,
        ) -> impl std::future::Future<Output = ()> + Send + 'static {
            $body
        }
    };
    (@one to_thread($f:ident) => $body:expr) => {
        fn to_thread<T, F>($f: F) -> impl std::future::Future<Output = T> + Send + 'static
        where
            F: FnOnce() -> T + Send + 'static,
            T: Send + 'static,
        {
            $body
        }
    };
    ($($method:ident($($arg:ident),*) => $body:expr),* $(,)?) => {
        $(ambient!(@one $method($($arg),*) => $body);)*
    };
}
