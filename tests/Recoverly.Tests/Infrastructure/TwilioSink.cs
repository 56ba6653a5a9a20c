using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Recoverly.Tests.Infrastructure;

/// <summary>
/// <see cref="FakeTwilioApi"/> over real HTTP on 127.0.0.1 (Kestrel, a free port), so an app
/// running as its own process sends to it through <c>Twilio:ApiBaseUrl</c>.
/// </summary>
public sealed class TwilioSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private Func<int, string, Scripted?>? _eachSend;
    private int _sends;
    private int _lists;

    private TwilioSink(WebApplication app, FakeTwilioApi api, FakeTwilioNumbers numbers)
    {
        _app = app;
        Api = api;
        Numbers = numbers;
    }

    public FakeTwilioApi Api { get; }

    /// <summary>The account's phone numbers (IncomingPhoneNumbers), for `numbers add` and the onboarding number step.</summary>
    public FakeTwilioNumbers Numbers { get; }

    /// <summary>What the app sets as <c>Twilio:ApiBaseUrl</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>List (GET Messages.json) requests: how often the app looked before resending.</summary>
    public int Lists => Volatile.Read(ref _lists);

    public static async Task<TwilioSink> StartAsync(string accountSid = TestApp.AccountSid, string authToken = TestApp.AuthToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        // Hanging scripted sends must not hold up the test's cleanup.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        var app = builder.Build();
        var sink = new TwilioSink(app, new FakeTwilioApi(accountSid, authToken), new FakeTwilioNumbers(accountSid, authToken));
        app.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Post], (Delegate)sink.HandleAsync);
        await app.StartAsync();
        sink.BaseUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return sink;
    }

    /// <summary>
    /// From now on, each send request — its number n (0-based, counted from this call) and its
    /// recipient — first scripts its own answer (null: accept normally). Unlike <see cref="FakeTwilioApi.Script"/>, nothing is left queued for
    /// requests that never come, so a restarted app meets a normal provider after <see cref="StopScripting"/>.
    /// </summary>
    public void ScriptEachSend(Func<int, string, Scripted?> answer)
    {
        Volatile.Write(ref _sends, 0);
        Volatile.Write(ref _eachSend, answer);
    }

    public void StopScripting() => Volatile.Write(ref _eachSend, null);

    private async Task<IResult> HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var ct = http.RequestAborted;
        var form = new Dictionary<string, string>();
        if (request.HasFormContentType)
            foreach (var (key, value) in await request.ReadFormAsync(ct)) form[key] = value.ToString();
        var query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());

        if ((request.Path.Value ?? "").Contains("/IncomingPhoneNumbers", StringComparison.Ordinal))
        {
            var (numberStatus, numberJson) = Numbers.Handle(request.Method, request.Path.Value!, query, form,
                request.Headers.Authorization.ToString() is { Length: > 0 } numbersAuth ? numbersAuth : null) ?? (404, "{}");
            return Results.Content(numberJson, "application/json", statusCode: numberStatus);
        }
        if (HttpMethods.IsGet(request.Method)) Interlocked.Increment(ref _lists);
        else if (Volatile.Read(ref _eachSend) is { } each && each(Interlocked.Increment(ref _sends) - 1, form.GetValueOrDefault("To", "")) is { } scripted) Api.Script(scripted);

        try
        {
            var (status, json) = await Api.HandleAsync(request.Method, request.Path.Value ?? "", query, form,
                request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null, ct);
            return Results.Content(json, "application/json", statusCode: status);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Results.Empty; // the app went away mid-request (killed): there is no one to answer
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
