# Multi-stage build: the toolchain stage uses only registry downloads (crates.io, npm, Debian);
# the runtime stage holds the binary, the compiled site (content-hashed, precompressed br and
# gzip) and the hash list leptos reads beside the binary, and runs as a non-root user.
# tests/api/deploy_files.rs checks that every path copied here exists and that this context
# builds; `docker build -t cleantrack .` from the repository root.

FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads \
 && npm install --global binaryen@132.0.0
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN cargo install wasm-bindgen-cli --version "$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
COPY .cargo .cargo
# The descriptions sqlx::query! checks against (SQLX_OFFLINE in .cargo/config.toml): no database at build time.
COPY .sqlx .sqlx
# Cargo.toml names its test and example targets, and cargo refuses a manifest whose targets are
# missing; they are not built here.
COPY tests tests
COPY examples examples
COPY src src
COPY style style
COPY public public
COPY migrations migrations
# The audit-trail verification text, compiled into the binary for the inspection binder.
COPY docs docs
RUN cargo leptos build --release --precompress

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app cleantrack \
 && mkdir -p /app/data/uploads && chown -R cleantrack /app/data
WORKDIR /app
COPY --from=build /src/target/release/cleantrack /app/cleantrack
COPY --from=build /src/target/site /app/site
COPY --from=build /src/target/release/hash.txt /app/hash.txt
# Photos go to /app/data/uploads unless S3_BUCKET is set; mount a persistent disk at /app/data.
ENV APP_ENV=production \
    UPLOAD_DIR=/app/data/uploads \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_ADDR=0.0.0.0:8080
USER cleantrack
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fs http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/app/cleantrack"]
CMD ["serve"]
