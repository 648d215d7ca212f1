# The crp-adapter image the Helm chart deploys (charts/crp-adapter).
#   docker build -t crp-adapter:0.1.0 .
#   scripts/image-build              the same with Buildah, on a base made by debootstrap
#                                    (no registry needed; tests/image/ runs the result)
# Two stages on Debian 12, the platform the project builds and tests on: the build stage
# installs only what the crp-adapter binary needs from scripts/setup-deps' list (no Kafka,
# Java, clang or benchmark packages); the runtime stage has the shared libraries it links,
# the tz database (Europe/London working days) and CA roots, and runs as a non-root user.
# Pin the base images by digest in your registry mirror for reproducible builds, or give
# another Debian 12 base: --build-arg BUILD_BASE=... --build-arg RUNTIME_BASE=...
# (scripts/image-build passes its debootstrap-made localhost/crp-debian:bookworm for both).
ARG BUILD_BASE=debian:12
ARG RUNTIME_BASE=debian:12-slim

FROM ${BUILD_BASE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ccache \
      libboost1.81-dev libboost-program-options1.81-dev \
      librdkafka-dev rapidjson-dev libssl-dev libhowardhinnant-date-dev \
      libgtest-dev libgmock-dev python3 \
 && rm -rf /var/lib/apt/lists/*
# GoogleTest and Python are needed by the CMake configure step (tests/ is always
# configured); only the crp-adapter target is built. Warnings are errors in scripts/test,
# not here: -O3 can raise new false positives that should not block an image build.
# ccache: scripts/image-build mounts a cache directory on /var/cache/ccache so a rebuild
# after a small change compiles only what changed; elsewhere it starts empty, costs nothing.
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY schemas/ schemas/
COPY adapter/ adapter/
COPY connectors/ connectors/
COPY tests/ tests/
RUN export CCACHE_DIR=/var/cache/ccache \
 && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRP_WERROR=OFF -DCRP_BENCHMARKS=OFF \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
 && cmake --build build --target crp-adapter \
 && strip build/crp-adapter \
 && build/crp-adapter schema service-config.schema.json > /dev/null

FROM ${RUNTIME_BASE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 librdkafka++1 libboost-program-options1.81.0 libdate-tz3 libssl3 \
      tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 crp \
 && useradd --system --uid 10001 --gid crp --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin crp
COPY --from=build /src/build/crp-adapter /usr/local/bin/crp-adapter
# The shipped protocols, calendar and example service config; the chart mounts its own
# ConfigMap over this directory.
COPY config/ /etc/crp-adapter/
# Fails the build if a shared library is missing from this stage.
RUN crp-adapter schema service-config.schema.json > /dev/null
USER 10001:10001
EXPOSE 8080
# SIGTERM commits the open transaction and leaves the consumer group.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/crp-adapter"]
CMD ["run", "--config", "/etc/crp-adapter/crp-adapter.json"]
