//! Objects in an S3 bucket, every put encrypted with SSE-KMS.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_s3::{
    Client,
    primitives::{ByteStream, DateTime},
    types::ServerSideEncryption,
};
use bytes::Bytes;
use futures::{StreamExt, stream::BoxStream};
use time::OffsetDateTime;

use super::{Failure, SdkConfig};
use crate::{
    Error, GetResult, ListEntry, ObjectKey, ObjectMeta, ObjectStore, Prefixed, PutMode, PutOptions,
    PutResult, Result, key::validate_prefix, object::error_stream,
};

const SERVICE: &str = "s3";

/// An S3 bucket as an [`ObjectStore`].
///
/// Every put carries `x-amz-server-side-encryption: aws:kms`, plus the KMS
/// key id when one is configured (without it S3 uses the bucket's default
/// key, or the AWS-managed `aws/s3` key, not the stack's own key).
/// Conditional writes map to `If-None-Match: *` and `If-Match`. For a key
/// prefix wrap it: [`S3Store::prefixed`].
#[derive(Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    kms_key_id: Option<String>,
    page_size: i32,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SDK client's own Debug output is long and says nothing useful.
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket)
            .field("kms_key_id", &self.kms_key_id)
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// A store for `bucket` with a client built from `config`. Path-style
    /// addressing is forced when the config overrides the endpoint (a local
    /// emulator), where virtual-host addressing would need wildcard DNS.
    pub fn new(config: &SdkConfig, bucket: impl Into<String>) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        S3Store::from_client(Client::from_conf(s3_config), bucket)
    }

    /// A store over an existing client.
    pub fn from_client(client: Client, bucket: impl Into<String>) -> Self {
        S3Store {
            client,
            bucket: bucket.into(),
            kms_key_id: None,
            page_size: 1000,
        }
    }

    /// Encrypts every put with this KMS key (id, ARN or alias).
    pub fn with_kms_key_id(mut self, kms_key_id: Option<String>) -> Self {
        self.kms_key_id = kms_key_id.filter(|k| !k.is_empty());
        self
    }

    /// Objects per list request (1 to 1000; S3's maximum is the default).
    pub fn with_list_page_size(mut self, page_size: u16) -> Self {
        self.page_size = i32::from(page_size.clamp(1, 1000));
        self
    }

    /// This store with every key under `prefix`.
    pub fn prefixed(self, prefix: &str) -> Result<Prefixed<S3Store>> {
        Prefixed::new(self, prefix)
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn target(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn put_opts(&self, key: &ObjectKey, body: Bytes, opts: PutOptions) -> Result<PutResult> {
        opts.validate()?;
        let metadata: HashMap<String, String> = opts.metadata.into_iter().collect();
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .body(ByteStream::from(body))
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .set_ssekms_key_id(self.kms_key_id.clone())
            .set_content_type(opts.content_type)
            .set_metadata((!metadata.is_empty()).then_some(metadata));
        req = match &opts.mode {
            PutMode::Overwrite => req,
            PutMode::Create => req.if_none_match("*"),
            PutMode::Update(etag) => req.if_match(etag),
        };
        match req.send().await {
            Ok(out) => Ok(PutResult {
                etag: out.e_tag().unwrap_or_default().to_owned(),
            }),
            Err(e) => {
                let f = Failure::from_sdk(e);
                match (&opts.mode, f.status, f.code.as_str()) {
                    (PutMode::Create, Some(412), _) => Err(Error::AlreadyExists {
                        key: key.to_string(),
                    }),
                    // 409 ConditionalRequestConflict: a concurrent
                    // conditional write on the same key won the race.
                    (PutMode::Create, Some(409), _) => Err(Error::AlreadyExists {
                        key: key.to_string(),
                    }),
                    (PutMode::Update(_), Some(412 | 409 | 404), _)
                    | (PutMode::Update(_), _, "NoSuchKey") => Err(Error::PreconditionFailed {
                        key: key.to_string(),
                    }),
                    _ => Err(f.into_error(SERVICE, "PutObject", &self.target(key.as_str()))),
                }
            }
        }
    }

    async fn get(&self, key: &ObjectKey) -> Result<GetResult> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| self.read_error(e, key, "GetObject"))?;
        let meta = ObjectMeta {
            key: key.clone(),
            size: out
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            etag: out.e_tag().unwrap_or_default().to_owned(),
            last_modified: out.last_modified().and_then(to_time),
            content_type: out.content_type().map(str::to_owned),
            metadata: to_btree(out.metadata()),
        };
        let body = out.body.collect().await.map_err(|e| Error::Backend {
            service: SERVICE,
            op: "GetObject",
            target: self.target(key.as_str()),
            code: "ResponseError".into(),
            message: "the object body could not be read completely; try again".into(),
            retryable: true,
            source: Some(Box::new(e)),
        })?;
        let body = body.into_bytes();
        Ok(GetResult {
            meta: ObjectMeta {
                size: body.len() as u64,
                ..meta
            },
            body,
        })
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| self.read_error(e, key, "HeadObject"))?;
        Ok(ObjectMeta {
            key: key.clone(),
            size: out
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            etag: out.e_tag().unwrap_or_default().to_owned(),
            last_modified: out.last_modified().and_then(to_time),
            content_type: out.content_type().map(str::to_owned),
            metadata: to_btree(out.metadata()),
        })
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        // S3 answers 204 for missing keys too, so delete is idempotent.
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| {
                Failure::from_sdk(e).into_error(SERVICE, "DeleteObject", &self.target(key.as_str()))
            })?;
        Ok(())
    }

    fn location(&self, key: &ObjectKey) -> String {
        self.target(key.as_str())
    }

    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ListEntry>> {
        if let Err(e) = validate_prefix(prefix) {
            return error_stream(e);
        }
        let store = self.clone();
        let prefix = prefix.to_owned();
        // State: Some(continuation token) while pages remain; the first
        // request has no token.
        enum Next {
            First,
            Token(String),
            Done,
        }
        futures::stream::unfold(Next::First, move |next| {
            let store = store.clone();
            let prefix = prefix.clone();
            async move {
                let token = match next {
                    Next::Done => return None,
                    Next::First => None,
                    Next::Token(t) => Some(t),
                };
                let page = store.list_page(&prefix, token).await;
                Some(match page {
                    Ok((entries, Some(t))) => (Ok(entries), Next::Token(t)),
                    Ok((entries, None)) => (Ok(entries), Next::Done),
                    Err(e) => (Err(e), Next::Done),
                })
            }
        })
        .flat_map(|page| match page {
            Ok(entries) => futures::stream::iter(entries.into_iter().map(Ok).collect::<Vec<_>>()),
            Err(e) => futures::stream::iter(vec![Err(e)]),
        })
        .boxed()
    }
}

impl S3Store {
    async fn list_page(
        &self,
        prefix: &str,
        token: Option<String>,
    ) -> Result<(Vec<ListEntry>, Option<String>)> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .max_keys(self.page_size)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| {
                Failure::from_sdk(e).into_error(SERVICE, "ListObjectsV2", &self.target(prefix))
            })?;
        let mut entries = Vec::with_capacity(out.contents().len());
        for obj in out.contents() {
            let Some(raw) = obj.key() else { continue };
            match ObjectKey::new(raw) {
                Ok(key) => entries.push(ListEntry {
                    key,
                    size: obj.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                    last_modified: obj.last_modified().and_then(to_time),
                }),
                // Objects written by other tools may break our grammar
                // (`a//b`); they are not ours to touch.
                Err(_) => {
                    tracing::warn!(key = raw, bucket = %self.bucket, "skipping an S3 object whose key is not a valid object key")
                }
            }
        }
        let next = if out.is_truncated() == Some(true) {
            out.next_continuation_token().map(str::to_owned)
        } else {
            None
        };
        Ok((entries, next))
    }

    fn read_error<E>(
        &self,
        e: aws_sdk_s3::error::SdkError<E>,
        key: &ObjectKey,
        op: &'static str,
    ) -> Error
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let f = Failure::from_sdk(e);
        if f.status == Some(404) || f.code == "NoSuchKey" || f.code == "NotFound" {
            return Error::NotFound {
                key: key.to_string(),
            };
        }
        f.into_error(SERVICE, op, &self.target(key.as_str()))
    }
}

fn to_time(t: &DateTime) -> Option<OffsetDateTime> {
    let nanos = i128::from(t.secs()) * 1_000_000_000 + i128::from(t.subsec_nanos());
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

fn to_btree(m: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}
