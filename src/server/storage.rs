//! Where uploaded files live: one interface, two places. A local directory by default (one
//! instance, or a platform disk); an S3 bucket through aws-sdk-s3 when configured, so any
//! number of instances share the files. Keys are made by the application (never from user
//! input): `{org}/{photo}.{ext}`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use aws_sdk_s3::config::{Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::primitives::ByteStream;

use super::config::{S3Config, StorageConfig};

#[derive(Clone)]
pub enum Storage {
    Local(PathBuf),
    S3 { client: aws_sdk_s3::Client, bucket: String },
}

impl Storage {
    pub fn from_config(config: &StorageConfig) -> Storage {
        match config {
            StorageConfig::Local { dir } => Storage::Local(dir.clone()),
            StorageConfig::S3(s3) => Storage::S3 { client: s3_client(s3), bucket: s3.bucket.clone() },
        }
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> anyhow::Result<()> {
        match self {
            Storage::Local(dir) => {
                let (path, partial) = local_target(dir, key).await?;
                tokio::fs::write(&partial, bytes).await.with_context(|| format!("writing {}", partial.display()))?;
                publish(&partial, &path).await
            }
            Storage::S3 { client, bucket } => {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .content_type(content_type)
                    .body(ByteStream::from(bytes))
                    .send()
                    .await
                    .with_context(|| format!("S3 put {key}"))?;
                Ok(())
            }
        }
    }

    /// Stores a large file from disk without reading it into memory (exports).
    pub async fn put_file(&self, key: &str, file: &Path, content_type: &str) -> anyhow::Result<()> {
        match self {
            Storage::Local(dir) => {
                let (path, partial) = local_target(dir, key).await?;
                tokio::fs::copy(file, &partial).await.with_context(|| format!("writing {}", partial.display()))?;
                publish(&partial, &path).await
            }
            Storage::S3 { client, bucket } => {
                let body = ByteStream::from_path(file).await.context("reading the export file")?;
                client
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .content_type(content_type)
                    .body(body)
                    .send()
                    .await
                    .with_context(|| format!("S3 put {key}"))?;
                Ok(())
            }
        }
    }

    /// The file as a stream of chunks, for downloads of any size; `None` if there is no such file.
    pub async fn stream(
        &self,
        key: &str,
    ) -> anyhow::Result<Option<std::pin::Pin<Box<dyn tokio::io::AsyncRead + Send>>>> {
        match self {
            Storage::Local(dir) => match tokio::fs::File::open(local_path(dir, key)?).await {
                Ok(file) => Ok(Some(Box::pin(file))),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(err) => Err(err).with_context(|| format!("opening {key}")),
            },
            Storage::S3 { client, bucket } => match client.get_object().bucket(bucket).key(key).send().await {
                Ok(object) => Ok(Some(Box::pin(object.body.into_async_read()))),
                Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
                Err(err) => Err(err).with_context(|| format!("S3 get {key}")),
            },
        }
    }

    /// The file's bytes, or `None` if there is no such file.
    pub async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Storage::Local(dir) => match tokio::fs::read(local_path(dir, key)?).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(err) => Err(err).with_context(|| format!("reading {key}")),
            },
            Storage::S3 { client, bucket } => match client.get_object().bucket(bucket).key(key).send().await {
                Ok(object) => Ok(Some(object.body.collect().await.context("S3 body")?.into_bytes().to_vec())),
                Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
                Err(err) => Err(err).with_context(|| format!("S3 get {key}")),
            },
        }
    }

    /// Removes the file; removing one that is not there is not an error.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self {
            Storage::Local(dir) => match tokio::fs::remove_file(local_path(dir, key)?).await {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                    Err(err).with_context(|| format!("deleting {key}"))
                }
                _ => Ok(()),
            },
            Storage::S3 { client, bucket } => {
                client
                    .delete_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .with_context(|| format!("S3 delete {key}"))?;
                Ok(())
            }
        }
    }

    /// Where files go, for the start-up log.
    pub fn describe(&self) -> String {
        match self {
            Storage::Local(dir) => format!("local directory {}", dir.display()),
            Storage::S3 { bucket, .. } => format!("S3 bucket {bucket}"),
        }
    }
}

/// Where a local file goes, and the temporary name it is written under first (its directory
/// created): renamed into place by [`publish`], so a reader never sees half a file.
async fn local_target(dir: &Path, key: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
    let path = local_path(dir, key)?;
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await.with_context(|| format!("creating {}", parent.display()))?;
    }
    let partial = path.with_extension("partial");
    Ok((path, partial))
}

async fn publish(partial: &Path, path: &Path) -> anyhow::Result<()> {
    tokio::fs::rename(partial, path).await.with_context(|| format!("renaming to {}", path.display()))
}

/// Keys are ours, but a path is still checked to stay inside the directory.
fn local_path(dir: &Path, key: &str) -> anyhow::Result<PathBuf> {
    let safe = !key.is_empty()
        && key.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '.' | '_'));
    anyhow::ensure!(safe, "unsafe storage key {key:?}");
    Ok(dir.join(key))
}

fn s3_client(config: &S3Config) -> aws_sdk_s3::Client {
    let credentials =
        Credentials::new(&config.access_key_id, config.secret_access_key.expose(), None, None, "cleantrack-config");
    let mut builder = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new(config.region.clone()))
        .credentials_provider(credentials)
        .force_path_style(config.force_path_style)
        // S3-compatible servers do not all speak the newer default checksums.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    if let Some(endpoint) = &config.endpoint {
        builder = builder.endpoint_url(endpoint.as_str().trim_end_matches('/'));
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_leave_the_directory() {
        let dir = Path::new("/srv/uploads");
        assert_eq!(local_path(dir, "org/photo.jpg").unwrap(), Path::new("/srv/uploads/org/photo.jpg"));
        for bad in ["", "../etc/passwd", "org//x", "/abs", "org/./x", "a b", "org/..", "x\\y"] {
            assert!(local_path(dir, bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn the_local_directory_stores_reads_and_deletes() {
        let dir = std::env::temp_dir().join(format!("cleantrack-storage-{}", uuid::Uuid::new_v4()));
        let storage = Storage::Local(dir.clone());
        assert_eq!(storage.get("o/p.jpg").await.unwrap(), None);
        storage.put("o/p.jpg", b"bytes".to_vec(), "image/jpeg").await.unwrap();
        assert_eq!(storage.get("o/p.jpg").await.unwrap().as_deref(), Some(&b"bytes"[..]));
        assert!(!dir.join("o/p.partial").exists(), "no temporary file left");
        storage.delete("o/p.jpg").await.unwrap();
        storage.delete("o/p.jpg").await.unwrap();
        assert_eq!(storage.get("o/p.jpg").await.unwrap(), None);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
