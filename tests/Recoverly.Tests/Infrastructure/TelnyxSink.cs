using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// <see cref="FakeTelnyxApi"/> over real HTTP on 127.0.0.1 (Kestrel, a free port), so an app running as its
/// own process talks to it through <c>Telnyx:ApiBaseUrl</c>.
/// </summary>
public sealed class TelnyxSink : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TelnyxSink(WebApplication app, FakeTelnyxApi api)
    {
        _app = app;
        Api = api;
    }

    public FakeTelnyxApi Api { get; }

    /// <summary>What the app sets as <c>Telnyx:ApiBaseUrl</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    public static async Task<TelnyxSink> StartAsync(string apiKey = TestApp.TelnyxApiKey)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var sink = new TelnyxSink(app, new FakeTelnyxApi(apiKey));
        app.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Post, HttpMethods.Patch], (Delegate)sink.HandleAsync);
        await app.StartAsync();
        sink.BaseUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return sink;
    }

    private async Task<IResult> HandleAsync(HttpContext http)
    {
        var request = http.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(http.RequestAborted);
        var query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());
        var (status, json) = await Api.HandleAsync(request.Method, request.Path.Value ?? "", query, body,
            request.Headers.Authorization.ToString(), http.RequestAborted);
        return Results.Content(json, "application/json", statusCode: status);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
