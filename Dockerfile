# The broker as a drop-in for rabbitmq:3-management (same ports, variables, /etc/rabbitmq config, volume):
#   docker build -t broker . && docker run -p 5672:5672 -p 15672:15672 -p 15692:15692 broker
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/Broker/Broker.csproj -c Release -o /app --nologo

# The ASP.NET Core runtime: connections use Kestrel's socket transport.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
# RabbitMQ's image's user (uid and gid 999), so a volume it wrote stays writable. Both data paths
# exist so that a named volume mounted at either takes their owner.
RUN groupadd --system --gid 999 rabbitmq \
 && useradd --system --uid 999 --gid rabbitmq --home-dir /var/lib/rabbitmq --no-create-home rabbitmq \
 && mkdir -p /var/lib/rabbitmq /data /etc/rabbitmq/conf.d \
 && chown rabbitmq:rabbitmq /var/lib/rabbitmq /data
COPY --from=build /app /app
# As RabbitMQ's image: guest may connect from outside the container.
COPY docker/10-defaults.conf /etc/rabbitmq/conf.d/
# Config from /etc/rabbitmq; data in a volume at /data (earlier images) if one is mounted there,
# else at /var/lib/rabbitmq. On the PATH for `docker exec CONTAINER broker admin ...`.
ENV BROKER_CONFIG_DIR=/etc/rabbitmq \
    BROKER_DATA_DIR=/data:/var/lib/rabbitmq \
    PATH="/app:${PATH}"
USER rabbitmq
VOLUME /var/lib/rabbitmq
EXPOSE 5672 15672 15692
# The broker's own probe: AMQP answers and the management API answers; no shell or curl needed.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["/app/broker", "probe"]
ENTRYPOINT ["/app/broker"]
