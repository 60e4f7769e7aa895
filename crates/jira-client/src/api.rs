//! The read endpoints the sync needs.

use std::collections::VecDeque;

use futures::{Stream, StreamExt, TryStreamExt, stream};
use serde::Deserialize;
use serde_json::{json, value::RawValue};

use crate::{
    BulkChangelogs, BulkFetch, BulkFetchError, Deployment, Error, ErrorKind, FieldCatalogue,
    IdPage, IssueRef, JiraClient, Myself, RawIssue, Result, SearchPage,
    client::{Inner, Request, decode},
};

/// Largest page the id enumeration asks for; Jira clamps it (up to 5000
/// on Cloud when only ids are requested).
const ID_PAGE_SIZE: u32 = 5000;
/// Page size asked of the comment and changelog endpoints (Jira's maximum is about 100).
const LIST_PAGE_SIZE: u32 = 100;
/// Bulk fetch batch size for any request shape.
pub const BULK_FETCH_SMALL: usize = 100;
/// Bulk fetch batch size when the request names at most 100 plain fields and no expand.
pub const BULK_FETCH_LARGE: usize = 1000;
/// Issues per changelog bulk fetch request.
const CHANGELOG_BULK_ISSUES: usize = 1000;
/// Fields whose values are lists and so forbid the large bulk fetch batch.
const MULTI_VALUED_FIELDS: &[&str] = &["comment", "worklog", "attachment"];
/// Jira's message for an issue that is gone or hidden, given to a bulk-read
/// issue whose single read answered 404.
const NOT_FOUND_MESSAGE: &str = "Issue does not exist or you do not have permission to see it.";

/// An enhanced JQL search.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchRequest {
    /// The JQL, bounded and with the caller's `ORDER BY`.
    pub jql: String,
    /// Fields to return; always sent (Jira's default is `id` only). Use `*all` for everything.
    pub fields: Vec<String>,
    /// Expansions such as `changelog` or `renderedFields`.
    pub expand: Vec<String>,
    /// Resume after the page that returned this token (same JQL and fields).
    pub next_page_token: Option<String>,
    /// Page size to ask for; the server chooses the real size.
    pub max_results: Option<u32>,
}

impl SearchRequest {
    /// A search for `jql` returning `fields`.
    pub fn new<I, S>(jql: impl Into<String>, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        SearchRequest {
            jql: jql.into(),
            fields: fields.into_iter().map(Into::into).collect(),
            expand: Vec::new(),
            next_page_token: None,
            max_results: None,
        }
    }

    /// Adds expansions.
    pub fn expand<I, S>(mut self, expand: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.expand = expand.into_iter().map(Into::into).collect();
        self
    }

    /// Resumes from a checkpointed `nextPageToken`.
    pub fn resume_from(mut self, token: impl Into<String>) -> Self {
        self.next_page_token = Some(token.into());
        self
    }

    /// Asks for pages of this size (the server may return fewer).
    pub fn max_results(mut self, n: u32) -> Self {
        self.max_results = Some(n);
        self
    }

    fn validate(&self) -> Result<()> {
        if self.jql.trim().is_empty() {
            return Err(Error::config(
                "the jql is empty; jira requires a bounded query such as `project = ENG`",
            ));
        }
        if self.fields.is_empty() {
            return Err(Error::config(
                "no fields requested; name the fields, or use \"id\" or \"*all\"",
            ));
        }
        Ok(())
    }
}

/// The bulk fetch batch size Jira allows for this request shape: 1000 when
/// at most 100 explicit fields are named, none multi-valued, and nothing is
/// expanded; 100 otherwise.
pub fn bulk_fetch_batch_size(fields: &[String], expand: &[String]) -> usize {
    let explicit = !fields.is_empty()
        && fields.len() <= 100
        && fields
            .iter()
            .all(|f| !f.starts_with('*') && !f.starts_with('-'))
        && !fields
            .iter()
            .any(|f| MULTI_VALUED_FIELDS.contains(&f.as_str()));
    if explicit && expand.is_empty() {
        BULK_FETCH_LARGE
    } else {
        BULK_FETCH_SMALL
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSearchPage {
    #[serde(default)]
    issues: Vec<Box<RawValue>>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    is_last: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireLegacyPage {
    #[serde(default)]
    start_at: u64,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default)]
    issues: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireBulk {
    #[serde(default)]
    issues: Vec<Box<RawValue>>,
    #[serde(default)]
    issue_errors: Vec<BulkFetchError>,
}

/// The paging fields of `/comment` and `/changelog` pages.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireListPage {
    #[serde(default)]
    start_at: u64,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default)]
    is_last: Option<bool>,
    #[serde(default)]
    comments: Option<Vec<serde::de::IgnoredAny>>,
    #[serde(default)]
    values: Option<Vec<serde::de::IgnoredAny>>,
}

fn label_decode(label: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| {
        if e.kind() == ErrorKind::Decode && e.endpoint().is_none() {
            e.with_endpoint(label.to_owned())
        } else {
            e
        }
    }
}

fn parse_issues(label: &str, raw: Vec<Box<RawValue>>) -> Result<Vec<RawIssue>> {
    raw.into_iter()
        .map(|r| RawIssue::from_raw(r).map_err(label_decode(label)))
        .collect()
}

/// Issue ids and keys go into URL paths: accept only their grammar.
fn check_id_or_key(id: &str) -> Result<()> {
    if !id.is_empty()
        && id.len() <= 255
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(())
    } else {
        Err(Error::config(format!(
            "{id:?} is not an issue id or key; pass the numeric id or a key like ENG-42"
        )))
    }
}

/// One page of the Cloud enhanced search or the Data Center legacy search.
async fn search_page(
    inner: &Inner,
    request: &SearchRequest,
    token: Option<&str>,
) -> Result<(Vec<Box<RawValue>>, Option<String>, String)> {
    request.validate()?;
    match inner.deployment {
        Deployment::Cloud => {
            let label = "/rest/api/3/search/jql".to_owned();
            let mut body = json!({ "jql": request.jql, "fields": request.fields });
            if !request.expand.is_empty() {
                // The POST form takes expand as one comma-separated string.
                body["expand"] = json!(request.expand.join(","));
            }
            if let Some(t) = token {
                body["nextPageToken"] = json!(t);
            }
            if let Some(n) = request.max_results {
                body["maxResults"] = json!(n);
            }
            let req = Request::read_post("rest/api/3/search/jql".into(), label, &body);
            let label = req.label.clone();
            let bytes = inner.send(&req).await?;
            let page: WireSearchPage = decode(&label, &bytes)?;
            // The last page has isLast and/or no token; trust either.
            let next = if page.is_last == Some(true) {
                None
            } else {
                page.next_page_token.filter(|t| !t.is_empty())
            };
            Ok((page.issues, next, label))
        }
        Deployment::DataCenter => {
            let start_at: u64 = match token {
                None => 0,
                Some(t) => t.parse().map_err(|_| {
                    Error::config(format!(
                        "{t:?} is not a data center page token; it must be the decimal startAt of a previous page"
                    ))
                })?,
            };
            let mut body = json!({
                "jql": request.jql,
                "fields": request.fields,
                "startAt": start_at,
            });
            if !request.expand.is_empty() {
                body["expand"] = json!(request.expand);
            }
            if let Some(n) = request.max_results {
                body["maxResults"] = json!(n);
            }
            let req = Request::read_post(
                "rest/api/2/search".into(),
                "/rest/api/2/search".into(),
                &body,
            );
            let label = req.label.clone();
            let bytes = inner.send(&req).await?;
            let page: WireLegacyPage = decode(&label, &bytes)?;
            let next_start = page.start_at + page.issues.len() as u64;
            let more = !page.issues.is_empty() && page.total.is_some_and(|t| next_start < t);
            Ok((page.issues, more.then(|| next_start.to_string()), label))
        }
    }
}

struct Cursor {
    request: SearchRequest,
    token: Option<String>,
    done: bool,
}

impl JiraClient {
    /// The calling user. Call it first: without working auth, search
    /// answers 200 with zero issues, so a failure here must stop the sync.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn myself(&self) -> Result<Myself> {
        let v = self.inner.api_version();
        let req = Request::get(
            format!("rest/api/{v}/myself"),
            format!("/rest/api/{v}/myself"),
        );
        let bytes = self.inner.send(&req).await?;
        let me: Myself = decode(&req.label, &bytes)?;
        if self.inner.deployment == Deployment::Cloud && me.account_id.is_none() {
            return Err(Error::new(ErrorKind::Unauthorized)
                .with_status(200)
                .with_endpoint(req.label)
                .with_detail("the response has no account id, so the request was anonymous"));
        }
        Ok(me)
    }

    /// The field catalogue (`/field`), parsed and as raw JSON.
    pub async fn fields(&self) -> Result<FieldCatalogue> {
        let v = self.inner.api_version();
        let req = Request::get(
            format!("rest/api/{v}/field"),
            format!("/rest/api/{v}/field"),
        );
        let bytes = self.inner.send(&req).await?;
        let raw: Box<RawValue> = decode(&req.label, &bytes)?;
        let fields = decode(&req.label, raw.get().as_bytes())?;
        Ok(FieldCatalogue { fields, raw })
    }

    /// An approximate issue count for `jql` (Cloud `approximate-count`;
    /// on Data Center the exact `total` of a zero-size search).
    pub async fn approximate_count(&self, jql: &str) -> Result<u64> {
        SearchRequest::new(jql, ["id"]).validate()?;
        match self.inner.deployment {
            Deployment::Cloud => {
                #[derive(Deserialize)]
                struct Count {
                    count: u64,
                }
                let req = Request::read_post(
                    "rest/api/3/search/approximate-count".into(),
                    "/rest/api/3/search/approximate-count".into(),
                    &json!({ "jql": jql }),
                );
                let bytes = self.inner.send(&req).await?;
                Ok(decode::<Count>(&req.label, &bytes)?.count)
            }
            Deployment::DataCenter => {
                #[derive(Deserialize)]
                struct Total {
                    total: u64,
                }
                let req = Request::read_post(
                    "rest/api/2/search".into(),
                    "/rest/api/2/search".into(),
                    &json!({ "jql": jql, "maxResults": 0, "fields": ["id"] }),
                );
                let bytes = self.inner.send(&req).await?;
                Ok(decode::<Total>(&req.label, &bytes)?.total)
            }
        }
    }

    /// Pages of a search, following `nextPageToken` until `isLast` or a
    /// missing token. Each page carries the token that resumes after it.
    ///
    /// On Data Center the legacy `startAt` search is used and the token is
    /// the decimal offset of the next page.
    pub fn search(
        &self,
        request: SearchRequest,
    ) -> impl Stream<Item = Result<SearchPage>> + Send + 'static {
        let inner = self.inner.clone();
        let cursor = Cursor {
            token: request.next_page_token.clone(),
            request,
            done: false,
        };
        stream::try_unfold(cursor, move |mut cursor| {
            let inner = inner.clone();
            async move {
                if cursor.done {
                    return Ok(None);
                }
                let (raw, next, label) =
                    search_page(&inner, &cursor.request, cursor.token.as_deref()).await?;
                if next.is_some() && next == cursor.token {
                    return Err(Error::decode("jira returned the same nextPageToken again; stopping to avoid an endless loop")
                        .with_endpoint(label));
                }
                let issues = parse_issues(&label, raw)?;
                cursor.done = next.is_none();
                cursor.token = next.clone();
                Ok(Some((
                    SearchPage {
                        issues,
                        next_page_token: next,
                    },
                    cursor,
                )))
            }
        })
    }

    /// Every issue of `jql` as id and key, in large server-sized pages
    /// (`fields=["id", "key"]`). The JQL carries the caller's `ORDER BY`.
    pub fn search_ids(
        &self,
        jql: impl Into<String>,
    ) -> impl Stream<Item = Result<IdPage>> + Send + 'static {
        self.search_ids_from(jql, None)
    }

    /// [`JiraClient::search_ids`] resumed from a checkpointed token.
    pub fn search_ids_from(
        &self,
        jql: impl Into<String>,
        next_page_token: Option<String>,
    ) -> impl Stream<Item = Result<IdPage>> + Send + 'static {
        let mut request = SearchRequest::new(jql, ["id", "key"]).max_results(ID_PAGE_SIZE);
        request.next_page_token = next_page_token;
        self.search(request).map(|page| {
            let page = page?;
            Ok(IdPage {
                issues: page
                    .issues
                    .into_iter()
                    .map(|i| IssueRef {
                        id: i.id,
                        key: i.key,
                    })
                    .collect(),
                next_page_token: page.next_page_token,
            })
        })
    }

    /// Fetches issues by id or key with `POST /rest/api/3/issue/bulkfetch`,
    /// split into the largest batches Jira allows for this request shape
    /// (see [`bulk_fetch_batch_size`]); batches run concurrently up to the
    /// client's concurrency and results keep the batch order. A batch Jira
    /// refuses as too large (413) is split and sent again.
    #[tracing::instrument(level = "debug", skip_all, fields(ids = ids.len()))]
    pub async fn bulk_fetch(
        &self,
        ids: &[String],
        fields: &[String],
        expand: &[String],
    ) -> Result<BulkFetch> {
        if self.inner.deployment != Deployment::Cloud {
            return Err(Error::config(
                "bulk fetch is a jira cloud api; on data center use search with `id in (..)`",
            ));
        }
        let size = bulk_fetch_batch_size(fields, expand);
        let batches: Vec<Vec<String>> = ids.chunks(size).map(<[String]>::to_vec).collect();
        let results: Vec<BulkFetch> = stream::iter(batches)
            .map(|batch| self.bulk_fetch_batch(batch, fields, expand))
            .buffered(self.inner.concurrency)
            .try_collect()
            .await?;
        let mut all = BulkFetch::default();
        for r in results {
            all.issues.extend(r.issues);
            all.errors.extend(r.errors);
        }
        Ok(all)
    }

    /// One batch. Ids Jira lists in `issueErrors` for a reason other than
    /// "does not exist" (Jira documents those as retriable errors or
    /// payload constraints) are asked for once more in bulk after a pause;
    /// those still listed are read one by one with [`Self::issue`], which
    /// has no batch payload limit, so an issue a payload constraint keeps
    /// out of every bulk response is still read. What fails there with a
    /// retriable error is returned in [`BulkFetch::errors`].
    async fn bulk_fetch_batch(
        &self,
        batch: Vec<String>,
        fields: &[String],
        expand: &[String],
    ) -> Result<BulkFetch> {
        let mut out = self.bulk_fetch_split(batch, fields, expand).await?;
        let (mut listed, gone): (Vec<BulkFetchError>, Vec<BulkFetchError>) =
            out.errors.into_iter().partition(|e| !e.is_not_found());
        out.errors = gone;
        if listed.is_empty() {
            return Ok(out);
        }
        let delay = self.inner.retry.delay(0, None);
        tracing::debug!(
            issues = listed.len(),
            ?delay,
            message = %listed[0].error_message,
            "bulk fetch listed retriable issue errors; asking for those issues again"
        );
        tokio::time::sleep(delay).await;
        let again = self
            .bulk_fetch_split(listed.into_iter().map(|e| e.id).collect(), fields, expand)
            .await?;
        out.issues.extend(again.issues);
        let gone;
        (listed, gone) = again.errors.into_iter().partition(|e| !e.is_not_found());
        out.errors.extend(gone);
        if !listed.is_empty() {
            tracing::debug!(
                issues = listed.len(),
                message = %listed[0].error_message,
                "bulk fetch listed the same issues again; reading them one by one"
            );
            let singles: Vec<(BulkFetchError, Result<Option<RawIssue>>)> = stream::iter(listed)
                .map(|e| async move {
                    let read = self.issue(&e.id, fields, expand).await;
                    (e, read)
                })
                .buffered(self.inner.concurrency)
                .collect()
                .await;
            for (listed, read) in singles {
                match read {
                    Ok(Some(issue)) => out.issues.push(issue),
                    Ok(None) => out.errors.push(BulkFetchError {
                        id: listed.id,
                        error_message: NOT_FOUND_MESSAGE.to_owned(),
                    }),
                    Err(e) if e.is_retryable() => out.errors.push(BulkFetchError {
                        id: listed.id,
                        error_message: format!(
                            "{} (and a single read failed too: {e})",
                            listed.error_message
                        ),
                    }),
                    Err(e) => return Err(e),
                }
            }
        }
        // Keep Jira's ascending id order across the issues read again.
        out.issues
            .sort_by(|a, b| (a.id.len(), &a.id).cmp(&(b.id.len(), &b.id)));
        Ok(out)
    }

    /// One batch, split and sent again while Jira refuses it as too large.
    async fn bulk_fetch_split(
        &self,
        batch: Vec<String>,
        fields: &[String],
        expand: &[String],
    ) -> Result<BulkFetch> {
        let mut out = BulkFetch::default();
        let mut queue = VecDeque::from([batch]);
        while let Some(batch) = queue.pop_front() {
            let mut body = json!({ "issueIdsOrKeys": batch });
            if !fields.is_empty() {
                body["fields"] = json!(fields);
            }
            if !expand.is_empty() {
                body["expand"] = json!(expand);
            }
            let req = Request::read_post(
                "rest/api/3/issue/bulkfetch".into(),
                "/rest/api/3/issue/bulkfetch".into(),
                &body,
            );
            match self.inner.send(&req).await {
                Ok(bytes) => {
                    let page: WireBulk = decode(&req.label, &bytes)?;
                    out.issues.extend(parse_issues(&req.label, page.issues)?);
                    out.errors.extend(page.issue_errors);
                }
                Err(e)
                    if batch.len() > 1
                        && (e.status() == Some(413)
                            || (e.status() == Some(400) && batch.len() > BULK_FETCH_SMALL)) =>
                {
                    // Too big for this site: shrink and send the parts in order.
                    let part = if batch.len() > BULK_FETCH_SMALL {
                        BULK_FETCH_SMALL
                    } else {
                        batch.len().div_ceil(2)
                    };
                    tracing::debug!(
                        from = batch.len(),
                        to = part,
                        "bulk fetch batch too large; splitting"
                    );
                    for chunk in batch.chunks(part).rev() {
                        queue.push_front(chunk.to_vec());
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// One issue (`GET /issue/{idOrKey}`) with the given fields and
    /// expands (Jira's defaults when empty), exactly as Jira sent it, or
    /// `None` when Jira answers 404: deleted, or not visible to the caller.
    /// [`Self::bulk_fetch`] reads issues far faster; this read has no batch
    /// payload limit, and works on Data Center too.
    #[tracing::instrument(level = "debug", skip(self, fields, expand))]
    pub async fn issue(
        &self,
        issue_id_or_key: &str,
        fields: &[String],
        expand: &[String],
    ) -> Result<Option<RawIssue>> {
        check_id_or_key(issue_id_or_key)?;
        let v = self.inner.api_version();
        let mut req = Request::get(
            format!("rest/api/{v}/issue/{issue_id_or_key}"),
            format!("/rest/api/{v}/issue/{{id}}"),
        );
        if !fields.is_empty() {
            req = req.query("fields", fields.join(","));
        }
        if !expand.is_empty() {
            req = req.query("expand", expand.join(","));
        }
        match self.inner.send(&req).await {
            Ok(bytes) => {
                let raw: Box<RawValue> = decode(&req.label, &bytes)?;
                RawIssue::from_raw(raw)
                    .map(Some)
                    .map_err(label_decode(&req.label))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// An issue's current id and key (`GET /issue/{idOrKey}?fields=key`), or
    /// `None` when Jira answers 404: deleted, or not visible to the caller.
    /// A moved issue's old key resolves to its new key.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn issue_ref(&self, issue_id_or_key: &str) -> Result<Option<IssueRef>> {
        let found = self
            .issue(issue_id_or_key, &["key".to_owned()], &[])
            .await?;
        Ok(found.map(|issue| IssueRef {
            id: issue.id,
            key: issue.key,
        }))
    }

    /// Every page of an issue's comments, oldest first, each exactly as Jira
    /// sent it (`GET /issue/{id}/comment?orderBy=created`). Parse them with
    /// [`CommentPage`](crate::CommentPage).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn comments(&self, issue_id_or_key: &str) -> Result<Vec<Box<RawValue>>> {
        check_id_or_key(issue_id_or_key)?;
        let v = self.inner.api_version();
        self.list_pages(
            format!("rest/api/{v}/issue/{issue_id_or_key}/comment"),
            format!("/rest/api/{v}/issue/{{id}}/comment"),
            true,
        )
        .await
    }

    /// Every page of an issue's changelog, each exactly as Jira sent it
    /// (`GET /rest/api/3/issue/{id}/changelog`, Cloud only). Parse them
    /// with [`ChangelogPage`](crate::ChangelogPage).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn changelog(&self, issue_id_or_key: &str) -> Result<Vec<Box<RawValue>>> {
        check_id_or_key(issue_id_or_key)?;
        if self.inner.deployment != Deployment::Cloud {
            return Err(Error::config(
                "the paged changelog is a jira cloud api; on data center search with expand=changelog",
            ));
        }
        self.list_pages(
            format!("rest/api/3/issue/{issue_id_or_key}/changelog"),
            "/rest/api/3/issue/{id}/changelog".to_owned(),
            false,
        )
        .await
    }

    /// Changelogs of many issues with `POST /rest/api/3/changelog/bulkfetch`
    /// (Cloud only), at most 1000 issues per request, following
    /// `nextPageToken`. Returns every response page exactly as Jira sent it;
    /// parse them with [`BulkChangelogPage`](crate::BulkChangelogPage).
    pub async fn changelogs_bulk(&self, ids: &[String]) -> Result<Vec<Box<RawValue>>> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Meta {
            #[serde(default)]
            next_page_token: Option<String>,
        }
        if self.inner.deployment != Deployment::Cloud {
            return Err(Error::config(
                "changelog bulk fetch is a jira cloud api; on data center search with expand=changelog",
            ));
        }
        let mut pages = Vec::new();
        for batch in ids.chunks(CHANGELOG_BULK_ISSUES) {
            let mut token: Option<String> = None;
            loop {
                let mut body = json!({ "issueIdsOrKeys": batch, "maxResults": 10000 });
                if let Some(t) = &token {
                    body["nextPageToken"] = json!(t);
                }
                let req = Request::read_post(
                    "rest/api/3/changelog/bulkfetch".into(),
                    "/rest/api/3/changelog/bulkfetch".into(),
                    &body,
                );
                let bytes = self.inner.send(&req).await?;
                let raw: Box<RawValue> = decode(&req.label, &bytes)?;
                let meta: Meta = decode(&req.label, raw.get().as_bytes())?;
                pages.push(raw);
                let next = meta.next_page_token.filter(|t| !t.is_empty());
                if next.is_some() && next == token {
                    return Err(Error::decode(
                        "jira returned the same nextPageToken again; stopping to avoid an endless loop",
                    )
                    .with_endpoint(req.label));
                }
                match next {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
        Ok(pages)
    }

    /// [`JiraClient::changelogs_bulk`] split per issue: every issue's
    /// entries (`{"issueId", "changeHistories"}`), exact bytes, grouped by
    /// issue id in the order Jira sent them (Cloud only). One request per
    /// 1000 issues plus one per further page, never one per issue.
    ///
    /// An issue Jira does not return (deleted, not visible, or without
    /// history) has no entries.
    #[tracing::instrument(level = "debug", skip_all, fields(ids = ids.len()))]
    pub async fn changelogs_by_issue(&self, ids: &[String]) -> Result<BulkChangelogs> {
        let pages = self.changelogs_bulk(ids).await?;
        BulkChangelogs::from_pages(pages.iter().map(AsRef::as_ref))
            .map_err(label_decode("/rest/api/3/changelog/bulkfetch"))
    }

    async fn list_pages(
        &self,
        path: String,
        label: String,
        order_by_created: bool,
    ) -> Result<Vec<Box<RawValue>>> {
        let mut pages = Vec::new();
        let mut start_at = 0u64;
        loop {
            let mut req = Request::get(path.clone(), label.clone())
                .query("startAt", start_at)
                .query("maxResults", LIST_PAGE_SIZE);
            if order_by_created {
                req = req.query("orderBy", "created");
            }
            let bytes = self.inner.send(&req).await?;
            let raw: Box<RawValue> = decode(&req.label, &bytes)?;
            let meta: WireListPage = decode(&req.label, raw.get().as_bytes())?;
            let returned = meta
                .comments
                .as_ref()
                .or(meta.values.as_ref())
                .map_or(0, Vec::len) as u64;
            pages.push(raw);
            // The server picks the page size; advance by what it returned.
            let next = meta.start_at.max(start_at) + returned;
            let finished =
                returned == 0 || meta.is_last == Some(true) || meta.total.is_none_or(|t| next >= t);
            if finished {
                return Ok(pages);
            }
            start_at = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn bulk_fetch_batch_follows_the_100_1000_rule() {
        assert_eq!(
            bulk_fetch_batch_size(&s(&["summary", "updated"]), &[]),
            1000
        );
        assert_eq!(bulk_fetch_batch_size(&[], &[]), 100);
        assert_eq!(bulk_fetch_batch_size(&s(&["*all"]), &[]), 100);
        assert_eq!(bulk_fetch_batch_size(&s(&["summary", "comment"]), &[]), 100);
        assert_eq!(
            bulk_fetch_batch_size(&s(&["summary"]), &s(&["changelog"])),
            100
        );
        let many: Vec<String> = (0..101).map(|i| format!("customfield_{i}")).collect();
        assert_eq!(bulk_fetch_batch_size(&many, &[]), 100);
        assert_eq!(bulk_fetch_batch_size(&many[..100], &[]), 1000);
    }

    #[test]
    fn ids_in_paths_are_checked() {
        assert!(check_id_or_key("ENG-42").is_ok());
        assert!(check_id_or_key("10001").is_ok());
        assert!(check_id_or_key("../admin").is_err());
        assert!(check_id_or_key("").is_err());
    }

    #[test]
    fn search_requests_are_validated() {
        assert!(SearchRequest::new(" ", ["id"]).validate().is_err());
        assert!(
            SearchRequest::new("project = A", Vec::<String>::new())
                .validate()
                .is_err()
        );
        assert!(SearchRequest::new("project = A", ["id"]).validate().is_ok());
    }
}
