//! An axum router served on 127.0.0.1 (a free port) by a thread with its own runtime, so a
//! test's blocking client cannot starve it; dropping the [`Server`] stops it.

use axum::Router;
use std::net::TcpListener as StdTcpListener;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

pub(crate) struct Server {
    pub(crate) base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves the router that `app` builds from the server's base URL and port.
    pub(crate) fn start(name: &'static str, app: impl FnOnce(&str, u16) -> Router) -> Server {
        let listener = StdTcpListener::bind("127.0.0.1:0").expect("test server: bind");
        listener
            .set_nonblocking(true)
            .expect("test server: non-blocking listener");
        let addr = listener.local_addr().expect("test server: local address");
        let base_url = format!("http://{addr}");
        let router = app(&base_url, addr.port());
        let (shutdown, stop) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || serve(listener, router, stop))
            .expect("test server: spawn thread");
        Server {
            base_url,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs the server until `stop` fires; dropping the runtime then cancels open connections
/// (including requests still waiting on a delay).
fn serve(listener: StdTcpListener, app: Router, stop: oneshot::Receiver<()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test server: runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("test server: listener");
        tokio::select! {
            served = axum::serve(listener, app).into_future() => {
                served.expect("test server failed");
            }
            _ = stop => {}
        }
    });
}
