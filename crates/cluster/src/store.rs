//! The local file system as a cluster's scheduler reads it.
//!
//! DataFusion lists a table's file path as a folder when the file is missing, and a missing
//! folder lists as empty. A scheduler that cannot see the warehouse would so plan an empty table,
//! and the query would return no rows. This store reports the missing path instead.

use std::fmt;
use std::ops::Range;

use async_trait::async_trait;
use datafusion::object_store::local::LocalFileSystem;
use datafusion::object_store::path::Path;
use datafusion::object_store::{
    CopyOptions, Error, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result,
};
use futures::StreamExt;
use futures::stream::BoxStream;

/// Local files, where listing a path that does not exist fails with "not found".
#[derive(Debug, Default)]
pub struct WarehouseFiles {
    inner: LocalFileSystem,
}

impl fmt::Display for WarehouseFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WarehouseFiles({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for WarehouseFiles {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> Result<Vec<bytes::Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        if let Some(prefix) = prefix
            && let Ok(path) = self.inner.path_to_filesystem(prefix)
            && !path.exists()
        {
            let error = Error::NotFound {
                path: path.display().to_string(),
                source: Box::new(std::io::Error::from(std::io::ErrorKind::NotFound)),
            };
            return futures::stream::once(async move { Err(error) }).boxed();
        }
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    #[tokio::test]
    async fn missing_path_is_not_an_empty_listing() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let file = folder.path().join("deals.parquet");
        std::fs::write(&file, b"x").expect("a file");
        let store = WarehouseFiles::default();

        let path = Path::from_filesystem_path(folder.path()).expect("a path");
        let found: Vec<ObjectMeta> = store.list(Some(&path)).try_collect().await.expect("listed");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].location.filename(), Some("deals.parquet"));

        let gone = Path::from_filesystem_path(folder.path())
            .expect("a path")
            .join("gone.parquet");
        let error = store
            .list(Some(&gone))
            .try_collect::<Vec<_>>()
            .await
            .expect_err("a missing file");
        assert!(matches!(error, Error::NotFound { .. }), "{error}");
        assert!(error.to_string().contains("gone.parquet"), "{error}");
    }
}
