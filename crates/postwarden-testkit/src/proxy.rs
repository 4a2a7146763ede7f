//! A TCP proxy a test can cut and restore: the way to take a database server away from the
//! program under test without stopping the machine's shared server (which CI needs).
//!
//! While cut, the port refuses connections and every connection through it is closed, as
//! when the server is down; restored, it listens on the same port again.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// A proxy from a port of 127.0.0.1 to `target`, on its own runtime.
pub struct TcpProxy {
    runtime: Runtime,
    port: u16,
    target: SocketAddr,
    serving: Mutex<Option<JoinHandle<()>>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl TcpProxy {
    /// Listens on a free port and forwards each connection to `target`.
    pub fn start(target: SocketAddr) -> TcpProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the proxy");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a port for the proxy");
        let port = listener.local_addr().expect("the proxy's address").port();
        let proxy = TcpProxy {
            runtime,
            port,
            target,
            serving: Mutex::new(None),
            connections: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops listening and closes every connection: the server looks down.
    pub fn cut(&self) {
        if let Some(serving) = self.serving.lock().unwrap().take() {
            serving.abort();
            let _ = self.runtime.block_on(serving);
        }
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Listens on the same port again.
    pub fn restore(&self) {
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let listener = self
            .runtime
            .block_on(TcpListener::bind(address))
            .expect("the proxy's port again");
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let target = self.target;
        let connections = Arc::clone(&self.connections);
        let serving = self.runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let forward = tokio::spawn(forward(client, target));
                connections.lock().unwrap().push(forward);
            }
        });
        *self.serving.lock().unwrap() = Some(serving);
    }
}

async fn forward(mut client: TcpStream, target: SocketAddr) {
    if let Ok(mut server) = TcpStream::connect(target).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}
