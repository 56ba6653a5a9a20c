using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Recoverly.Hosting;

/// <summary>
/// The provider's stand-in for start-up's rehearsed sends (docs/deploy.md, "Start-up and readiness"): a Kestrel server of its
/// own on a free loopback port, alive only while the rehearsal runs. The send clients' innermost handler
/// (<see cref="RehearsalAnswers"/>) sends the rehearsal's requests here instead of to the provider, so the real client
/// (connection pool, socket, HTTP/1.1 writing and reading) and the adapters' answer parsing run before the first real text.
/// It answers a send the way the provider answers an accepted message, with every field the provider returns (the parser
/// compiles a setter per field it meets), and anything else with 503. It keeps nothing and calls nothing.
/// </summary>
public sealed class RehearsalProvider : IAsyncDisposable
{
    private readonly WebApplication _server;

    private RehearsalProvider(WebApplication server, Uri address)
    {
        _server = server;
        Address = address;
    }

    /// <summary>Where the rehearsal's sends go: <c>http://127.0.0.1:port</c>.</summary>
    public Uri Address { get; }

    public static async Task<RehearsalProvider> StartAsync(CancellationToken ct)
    {
        // No configuration, no logging, no other listener: nothing of the app's settings (its URLs, its Kestrel section) applies.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var server = builder.Build();
        server.Run(AnswerAsync);
        try
        {
            await server.StartAsync(ct);
            var bound = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new RehearsalProvider(server, new Uri(bound));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static async Task AnswerAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
        var (status, json) = !HttpMethods.IsPost(http.Request.Method) ? (StatusCodes.Status503ServiceUnavailable, "{}")
            : path.EndsWith("/Messages.json", StringComparison.Ordinal) ? (StatusCodes.Status201Created, TwilioMessage(path, form))
            : path.EndsWith("/v2/messages", StringComparison.Ordinal) ? (StatusCodes.Status200OK, TelnyxMessage())
            : (StatusCodes.Status503ServiceUnavailable, "{}");
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        await http.Response.WriteAsync(json, http.RequestAborted);
    }

    /// <summary>Twilio's Message resource as its create call returns it: every field, in its wire format.</summary>
    private static string TwilioMessage(string path, IFormCollection? form)
    {
        var messages = path[..^".json".Length];
        var account = path.Split('/') is [_, _, "Accounts", var sid, ..] ? sid : "AC" + new string('0', 32);
        var message = "SM" + Guid.NewGuid().ToString("N");
        var now = DateTime.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
        return System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["account_sid"] = account, ["api_version"] = "2010-04-01", ["body"] = form?["Body"].ToString() ?? "",
            ["date_created"] = now, ["date_sent"] = null, ["date_updated"] = now, ["direction"] = "outbound-api",
            ["error_code"] = null, ["error_message"] = null, ["from"] = form?["From"].ToString(), ["messaging_service_sid"] = null,
            ["num_media"] = "0", ["num_segments"] = "1", ["price"] = null, ["price_unit"] = "USD", ["sid"] = message,
            ["status"] = "queued", ["subresource_uris"] = new Dictionary<string, string> { ["media"] = $"{messages}/{message}/Media.json" },
            ["to"] = form?["To"].ToString(), ["uri"] = $"{messages}/{message}.json",
        });
    }

    /// <summary>Telnyx's answer to <c>POST /v2/messages</c>: the message, its id and each recipient's status.</summary>
    private static string TelnyxMessage() => $$$"""
        {"data": {"record_type": "message", "id": "{{{Guid.NewGuid()}}}", "direction": "outbound", "type": "SMS",
         "to": [{"phone_number": "", "status": "queued"}], "from": {"phone_number": ""}, "text": ""}}
        """;

    /// <summary>Stops listening (closing the client's idle connection to it) and lets the server go.</summary>
    public async ValueTask DisposeAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _server.StopAsync(limit.Token);
        }
        finally
        {
            await _server.DisposeAsync();
        }
    }
}
