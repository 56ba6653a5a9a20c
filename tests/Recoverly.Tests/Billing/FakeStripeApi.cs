using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Recoverly.Tests.Billing;

/// <summary>
/// A Stripe-compatible API on a loopback port (<c>Stripe:ApiBaseUrl</c> points here): it answers the two
/// calls Recoverly makes — Checkout and customer-portal sessions — the way Stripe does, and records them.
/// </summary>
public sealed class FakeStripeApi : IAsyncDisposable
{
    public sealed record Call(string Path, string Authorization, IReadOnlyDictionary<string, string> Form);

    private readonly WebApplication _app;
    public ConcurrentQueue<Call> Calls { get; } = new();
    public string BaseUrl { get; private set; } = "";

    private FakeStripeApi(WebApplication app) => _app = app;

    public static async Task<FakeStripeApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeStripeApi(app);
        app.MapPost("/v1/checkout/sessions", async (HttpRequest request) =>
        {
            await fake.RecordAsync(request);
            var id = "cs_test_" + Guid.NewGuid().ToString("N");
            return Results.Json(new Dictionary<string, object?>
            {
                ["id"] = id, ["object"] = "checkout.session", ["mode"] = "subscription", ["status"] = "open",
                ["url"] = $"https://checkout.stripe.com/c/pay/{id}",
            });
        });
        app.MapPost("/v1/billing_portal/sessions", async (HttpRequest request) =>
        {
            await fake.RecordAsync(request);
            var form = await request.ReadFormAsync();
            return Results.Json(new Dictionary<string, object?>
            {
                ["id"] = "bps_" + Guid.NewGuid().ToString("N"), ["object"] = "billing_portal.session", ["customer"] = form["customer"].ToString(),
                ["url"] = "https://billing.stripe.com/p/session/test_portal",
            });
        });
        await app.StartAsync();
        fake.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return fake;
    }

    private async Task RecordAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        Calls.Enqueue(new Call(request.Path, request.Headers.Authorization.ToString(), form.ToDictionary(f => f.Key, f => f.Value.ToString())));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
