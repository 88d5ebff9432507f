//! The channel between the server and a runner: Arrow Flight over a Unix socket.
//!
//! `DoGet` with the SQL as the ticket runs one query; the result streams back as Arrow
//! batches (the query's columns, then one evidence column per measure), with the
//! [`Header`] in the schema's metadata. Every call carries the runner's secret, given to it
//! at start on its standard input; a call without it is refused before anything runs.
//! Errors travel as JSON in the status message, so the server gets back the same
//! [`EngineError`] the engine raised. Cancelling is dropping the call: the runner drops the
//! query with it.

use crate::EngineError;
use crate::engine::{Answer, Engine, Header, Raw};
use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo, HandshakeRequest, HandshakeResponse,
    PollInfo, PutResult, SchemaResult, Ticket,
};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tonic::{Request, Response, Status, Streaming};

/// The schema metadata key that carries the [`Header`].
const HEADER: &str = "tre.header";

/// Largest message either side accepts (a result is capped in rows, but evidence bitmaps of
/// thousands of cells add up).
const MAX_MESSAGE: usize = 256 << 20;

#[derive(serde::Serialize, serde::Deserialize)]
struct WireError {
    kind: String,
    message: String,
    seconds: Option<u64>,
}

fn to_status(e: &EngineError) -> Status {
    let (kind, seconds) = match e {
        EngineError::Refused(_) => ("refused", None),
        EngineError::Syntax(_) => ("syntax", None),
        EngineError::Planning(_) => ("planning", None),
        EngineError::Failed(_) => ("failed", None),
        EngineError::TimedOut(s) => ("timed-out", Some(*s)),
        EngineError::Busy(_) => ("busy", None),
        EngineError::Setup(_) => ("setup", None),
        EngineError::Stopped(_) | EngineError::Unavailable => ("unavailable", None),
    };
    let message = match e {
        EngineError::Refused(m)
        | EngineError::Syntax(m)
        | EngineError::Planning(m)
        | EngineError::Failed(m)
        | EngineError::Busy(m)
        | EngineError::Setup(m)
        | EngineError::Stopped(m) => m.clone(),
        _ => String::new(),
    };
    let body = serde_json::to_string(&WireError { kind: kind.into(), message, seconds }).unwrap_or_default();
    Status::invalid_argument(body)
}

fn from_status(s: &Status) -> EngineError {
    if s.code() == tonic::Code::Unauthenticated {
        return EngineError::Refused("the runner did not accept this caller".into());
    }
    match serde_json::from_str::<WireError>(s.message()) {
        Ok(w) => match w.kind.as_str() {
            "refused" => EngineError::Refused(w.message),
            "syntax" => EngineError::Syntax(w.message),
            "planning" => EngineError::Planning(w.message),
            "failed" => EngineError::Failed(w.message),
            "timed-out" => EngineError::TimedOut(w.seconds.unwrap_or(0)),
            "busy" => EngineError::Busy(w.message),
            "setup" => EngineError::Setup(w.message),
            _ => EngineError::Unavailable,
        },
        // Not ours: the runner died, or the connection broke.
        Err(_) => EngineError::Unavailable,
    }
}

/// The runner's side.
pub struct Service {
    engine: Arc<Engine>,
    secret: String,
}

impl Service {
    /// A service for `engine`, answering only calls that carry `secret`.
    pub fn new(engine: Arc<Engine>, secret: String) -> Self {
        Service { engine, secret }
    }

    fn authorise<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let given = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if bool::from(given.as_bytes().ct_eq(self.secret.as_bytes())) && !self.secret.is_empty() {
            Ok(())
        } else {
            Err(Status::unauthenticated("this runner answers only its server"))
        }
    }

    /// Serves on `socket` until the process ends.
    pub async fn serve(self, listener: tokio::net::UnixListener) -> Result<(), tonic::transport::Error> {
        let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
        let server = FlightServiceServer::new(self)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        tonic::transport::Server::builder().add_service(server).serve_with_incoming(incoming).await
    }
}

fn unimplemented<T>() -> Result<T, Status> {
    Err(Status::unimplemented("a runner only runs queries"))
}

#[tonic::async_trait]
impl FlightService for Service {
    type HandshakeStream = BoxStream<'static, Result<HandshakeResponse, Status>>;
    type ListFlightsStream = BoxStream<'static, Result<FlightInfo, Status>>;
    type DoGetStream = BoxStream<'static, Result<FlightData, Status>>;
    type DoPutStream = BoxStream<'static, Result<PutResult, Status>>;
    type DoActionStream = BoxStream<'static, Result<arrow_flight::Result, Status>>;
    type ListActionsStream = BoxStream<'static, Result<ActionType, Status>>;
    type DoExchangeStream = BoxStream<'static, Result<FlightData, Status>>;

    async fn handshake(
        &self,
        _request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        unimplemented()
    }

    async fn list_flights(&self, _request: Request<Criteria>) -> Result<Response<Self::ListFlightsStream>, Status> {
        unimplemented()
    }

    async fn get_flight_info(&self, _request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        unimplemented()
    }

    async fn poll_flight_info(&self, _request: Request<FlightDescriptor>) -> Result<Response<PollInfo>, Status> {
        unimplemented()
    }

    async fn get_schema(&self, _request: Request<FlightDescriptor>) -> Result<Response<SchemaResult>, Status> {
        unimplemented()
    }

    async fn do_get(&self, request: Request<Ticket>) -> Result<Response<Self::DoGetStream>, Status> {
        self.authorise(&request)?;
        let sql = String::from_utf8(request.into_inner().ticket.to_vec())
            .map_err(|_| to_status(&EngineError::Syntax("the query is not valid UTF-8".into())))?;
        let (schema, raw) = self.engine.run_raw(&sql).await.map_err(|e| to_status(&e))?;
        let header = serde_json::to_string(&raw.header).map_err(|_| Status::internal("header"))?;
        let mut metadata = schema.metadata().clone();
        metadata.insert(HEADER.into(), header);
        let schema = Arc::new(Schema::new_with_metadata(schema.fields().clone(), metadata));
        let batches = raw.batches;
        let stream = FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(futures_util::stream::iter(batches.into_iter().map(Ok)))
            .map_err(|e| Status::internal(e.to_string()));
        Ok(Response::new(stream.boxed()))
    }

    async fn do_put(&self, _request: Request<Streaming<FlightData>>) -> Result<Response<Self::DoPutStream>, Status> {
        unimplemented()
    }

    async fn do_action(&self, _request: Request<Action>) -> Result<Response<Self::DoActionStream>, Status> {
        unimplemented()
    }

    async fn list_actions(&self, _request: Request<Empty>) -> Result<Response<Self::ListActionsStream>, Status> {
        unimplemented()
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        unimplemented()
    }
}

/// The server's side: a connection to one runner.
#[derive(Clone)]
pub struct Client {
    inner: FlightServiceClient<tonic::transport::Channel>,
    secret: String,
}

impl Client {
    /// Connects to the runner listening on `socket`.
    pub async fn connect(socket: &Path, secret: String) -> Result<Client, EngineError> {
        let path: PathBuf = socket.to_path_buf();
        // The URI is required by the API and unused: the connector dials the socket.
        let channel = tonic::transport::Endpoint::try_from("http://runner.invalid")
            .map_err(|_| EngineError::Unavailable)?
            .connect_with_connector(tower::service_fn(move |_| {
                let path = path.clone();
                async move {
                    let stream = tokio::net::UnixStream::connect(path).await?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                }
            }))
            .await
            .map_err(|_| EngineError::Unavailable)?;
        let inner = FlightServiceClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        Ok(Client { inner, secret })
    }

    /// Runs one query. Dropping the future cancels it in the runner.
    pub async fn query(&self, sql: &str) -> Result<Answer, EngineError> {
        let mut request = Request::new(Ticket { ticket: sql.as_bytes().to_vec().into() });
        let bearer = format!("Bearer {}", self.secret).parse().map_err(|_| EngineError::Unavailable)?;
        request.metadata_mut().insert("authorization", bearer);
        let mut client = self.inner.clone();
        let response = client.do_get(request).await.map_err(|s| from_status(&s))?;
        let stream = response.into_inner().map_err(arrow_flight::error::FlightError::from);
        let mut decoded = FlightRecordBatchStream::new_from_flight_data(stream);
        let mut batches = Vec::new();
        while let Some(batch) = decoded.next().await {
            match batch {
                Ok(b) => batches.push(b),
                Err(arrow_flight::error::FlightError::Tonic(s)) => return Err(from_status(&s)),
                Err(_) => return Err(EngineError::Unavailable),
            }
        }
        let schema = decoded.schema().cloned().ok_or(EngineError::Unavailable)?;
        let header: Header =
            schema.metadata().get(HEADER).and_then(|h| serde_json::from_str(h).ok()).ok_or(EngineError::Unavailable)?;
        let plain = Arc::new(Schema::new_with_metadata(schema.fields().clone(), HashMap::new()));
        let batches = batches
            .into_iter()
            .map(|b| RecordBatch::try_new(plain.clone(), b.columns().to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| EngineError::Unavailable)?;
        Answer::from_raw(plain, Raw { header, batches })
    }
}
