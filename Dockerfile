# The broker as a container: docker build -t broker . && docker run -p 5672:5672 -p 15672:15672 -p 15692:15692 -v broker-data:/data broker
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/Broker/Broker.csproj -c Release -o /app --nologo

# The ASP.NET Core runtime: connections use Kestrel's socket transport.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV BROKER_DATA_DIR=/data
# On the PATH for `docker exec CONTAINER broker admin ...`.
ENV PATH="/app:${PATH}"
VOLUME /data
EXPOSE 5672 15672 15692
ENTRYPOINT ["/app/broker"]
