using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Push;
using Recoverly.Tests.Infrastructure;
using Recoverly.Texts;

namespace Recoverly.Tests.Push;

/// <summary>
/// Push alerts end to end (docs/push-alerts.md): the owner turns phone alerts on in Settings with a subscription from the
/// push-service stand-in, a webhook queues the alert, the dispatcher sends it signed and encrypted, and the push service's
/// answer decides what happens to the device.
/// </summary>
public class PushAlertTests
{
    private const string Caller = "+15125550142";

    private static async Task<(OwnerClient Owner, Recoverly.Businesses.Business Business)> OwnerWithDeviceAsync(TestApp app, FakePushService push,
        string device = "phone")
    {
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        var response = await SubscribeAsync(owner, push.Subscribe(device));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        push.ExpectedVapidKey = (await app.Services.GetRequiredService<VapidKeys>().GetAsync(CancellationToken.None)).PublicKey;
        return (owner, business);
    }

    private static async Task<HttpResponseMessage> SubscribeAsync(OwnerClient owner, (string Endpoint, string P256dh, string Auth) subscription)
    {
        var settings = await owner.PageAsync("/app/settings");
        var request = new HttpRequestMessage(HttpMethod.Post, "/app/settings?handler=PushSubscribe")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["endpoint"] = subscription.Endpoint, ["p256dh"] = subscription.P256dh, ["auth"] = subscription.Auth,
                ["__RequestVerificationToken"] = OwnerClient.Token(settings),
            }),
        };
        request.Headers.UserAgent.ParseAdd("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36");
        return await owner.Http.SendAsync(request);
    }

    [Theory]
    [BothDatabases]
    public async Task A_missed_call_is_pushed_signed_and_encrypted_and_opens_the_conversation(Db db)
    {
        await using var push = await FakePushService.StartAsync();
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerWithDeviceAsync(app, push);
        Assert.Contains("Chrome on Android", await owner.TextAsync("/app/settings"));

        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();

        var received = Assert.Single(push.For("phone"));
        Assert.Null(received.Problem);
        Assert.Equal("aes128gcm", received.ContentEncoding);
        Assert.Equal("high", received.Urgency);
        Assert.InRange(int.Parse(received.Ttl!, System.Globalization.CultureInfo.InvariantCulture), 1, 12 * 3600);
        var contactId = await app.QueryAsync(d => d.Contacts.Where(c => c.Phone == Caller).Select(c => c.Id).SingleAsync());
        Assert.Equal("missed-call", received.Payload.GetProperty("kind").GetString());
        Assert.Equal("Missed call from (512) 555-0142", received.Payload.GetProperty("title").GetString());
        Assert.Equal($"/app/contacts/{contactId}", received.Payload.GetProperty("url").GetString());
        Assert.Equal(Caller, received.Payload.GetProperty("tel").GetString());
        Assert.Equal(OutboundStatus.Sent, await app.QueryAsync(d => d.OutboundMessages.Where(m => m.Kind == OutboundKind.OwnerPush)
            .Select(m => m.Status).SingleAsync()));

        // The same pair signs every push, kept in the database; the private half never reaches the logs.
        var stored = await app.QueryAsync(d => d.WebPushKeys.SingleAsync());
        Assert.Equal(push.ExpectedVapidKey, stored.PublicKey);
        Assert.DoesNotContain(app.Logs.Lines, line => line.Contains(stored.PrivateKey, StringComparison.Ordinal));
    }

    [Theory]
    [BothDatabases]
    public async Task A_caller_reply_is_pushed_without_what_they_wrote(Db db)
    {
        await using var push = await FakePushService.StartAsync();
        await using var app = await TestApp.StartAsync(db);
        await OwnerWithDeviceAsync(app, push);
        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();

        (await app.InboundSmsAsync(Caller, "+15125550100", "Water heater is making a noise, please call")).EnsureSuccessStatusCode();
        await app.DispatchAsync();

        var reply = push.For("phone").Last();
        Assert.Null(reply.Problem);
        Assert.Equal("(512) 555-0142 replied", reply.Payload.GetProperty("title").GetString());
        Assert.DoesNotContain("heater", reply.Payload.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [BothDatabases]
    public async Task A_subscription_the_push_service_says_is_gone_is_removed(Db db)
    {
        await using var push = await FakePushService.StartAsync();
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerWithDeviceAsync(app, push);
        push.Answer("phone", HttpStatusCode.Gone);

        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();

        Assert.Single(push.For("phone"));
        Assert.False(await app.QueryAsync(d => d.PushDevices.AnyAsync()));
        Assert.DoesNotContain("Chrome on Android", await owner.TextAsync("/app/settings"));
        var row = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.OwnerPush));
        Assert.Equal((OutboundStatus.Cancelled, OutboxReason.PushDeviceGone), (row.Status, row.Reason));

        // Nothing more is posted to it.
        (await app.MissedCallAsync("+15125550143")).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        Assert.Single(push.For("phone"));
    }

    [Theory]
    [BothDatabases]
    public async Task A_busy_push_service_is_tried_again_later(Db db)
    {
        await using var push = await FakePushService.StartAsync();
        await using var app = await TestApp.StartAsync(db);
        await OwnerWithDeviceAsync(app, push);
        push.Answer("phone", HttpStatusCode.ServiceUnavailable);
        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        Assert.Single(push.For("phone"));

        push.Answer("phone", HttpStatusCode.Created);
        app.Time.Advance(TimeSpan.FromMinutes(10));
        await app.DispatchAsync();

        Assert.Equal(2, push.For("phone").Count);
        Assert.Equal(OutboundStatus.Sent, await app.QueryAsync(d => d.OutboundMessages.Where(m => m.Kind == OutboundKind.OwnerPush)
            .Select(m => m.Status).SingleAsync()));
        Assert.True(await app.QueryAsync(d => d.PushDevices.AnyAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task Quiet_hours_hold_pushes_for_one_when_they_end(Db db)
    {
        await using var push = await FakePushService.StartAsync();
        await using var app = await TestApp.StartAsync(db);
        var (_, business) = await OwnerWithDeviceAsync(app, push);
        // 15:00 UTC is 09:00 in Chicago: quiet from 08:00 to 10:00.
        await app.QueryAsync(d => d.Businesses.Where(b => b.Id == business.Id).ExecuteUpdateAsync(s => s
            .SetProperty(b => b.QuietHoursStart, new TimeOnly(8, 0)).SetProperty(b => b.QuietHoursEnd, new TimeOnly(10, 0))));

        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        (await app.MissedCallAsync("+15125550143")).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        Assert.Empty(push.Received);

        app.Time.Advance(TimeSpan.FromMinutes(61));
        await app.DispatchAsync();

        var digest = Assert.Single(push.For("phone"));
        Assert.Null(digest.Problem);
        Assert.Equal("While you were off", digest.Payload.GetProperty("title").GetString());
        Assert.Equal("/app", digest.Payload.GetProperty("url").GetString());
    }

    [Theory]
    [BothDatabases]
    public async Task An_emergency_word_in_a_reply_is_pushed_at_once_in_quiet_hours_without_what_they_wrote(Db db)
    {
        await using var push = await FakePushService.StartAsync();
        await using var app = await TestApp.StartAsync(db);
        var (_, business) = await OwnerWithDeviceAsync(app, push);
        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        var before = push.For("phone").Count;
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(app.Time.GetUtcNow().UtcDateTime, TimeZoneInfo.FindSystemTimeZoneById(business.TimeZone)));
        await app.QueryAsync(d => d.Businesses.Where(b => b.Id == business.Id).ExecuteUpdateAsync(s => s
            .SetProperty(b => b.QuietHoursStart, local.AddHours(-1)).SetProperty(b => b.QuietHoursEnd, local.AddHours(2))));

        (await app.InboundSmsAsync(Caller, "+15125550100", "Burst pipe in the basement, please call")).EnsureSuccessStatusCode();
        await app.DispatchAsync();

        var urgent = Assert.Single(push.For("phone").Skip(before));
        Assert.Equal("emergency", urgent.Payload.GetProperty("kind").GetString());
        Assert.Equal("Urgent: (512) 555-0142", urgent.Payload.GetProperty("title").GetString());
        Assert.Contains("burst pipe", urgent.Payload.GetProperty("body").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("basement", urgent.Payload.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [BothDatabases]
    public async Task Signing_out_on_a_browser_stops_its_alerts_and_clears_its_data(Db db)
    {
        await using var push = await FakePushService.StartAsync();
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerWithDeviceAsync(app, push);
        var endpoint = await app.QueryAsync(d => d.PushDevices.Select(x => x.Endpoint).SingleAsync());

        var response = await owner.PostAsync("/logout", new() { ["pushEndpoint"] = endpoint }, tokenFrom: "/app");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("\"storage\"", response.Headers.GetValues("Clear-Site-Data").Single());
        Assert.False(await app.QueryAsync(d => d.PushDevices.AnyAsync()));
    }

    [Fact]
    public async Task Settings_refuses_push_addresses_that_are_not_https_to_a_public_host_and_caps_devices()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await using var push = await FakePushService.StartAsync();
        var keys = push.Subscribe("keys");

        foreach (var endpoint in new[]
                 {
                     "http://push.example.com/x", "https://10.1.2.3/x", "https://169.254.169.254/latest", "https://192.168.1.1/x",
                     "https://[fd00::1]/x", "https://fcm.googleapis.com:8443/x", "ftp://fcm.googleapis.com/x", "https://intranet/x", "not a url", "",
                 })
        {
            var response = await SubscribeAsync(owner, (endpoint, keys.P256dh, keys.Auth));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{endpoint} was accepted");
            Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()));
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await SubscribeAsync(owner, ("https://fcm.googleapis.com/fcm/send/a", "not-a-key", keys.Auth))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SubscribeAsync(owner, ("https://fcm.googleapis.com/fcm/send/a", keys.P256dh, "c2hvcnQ"))).StatusCode);
        Assert.False(await app.QueryAsync(d => d.PushDevices.AnyAsync()));

        for (var i = 0; i < PushDevices.MaxPerBusiness; i++)
            Assert.Equal(HttpStatusCode.OK, (await SubscribeAsync(owner, ($"https://fcm.googleapis.com/fcm/send/{i}", keys.P256dh, keys.Auth))).StatusCode);
        var over = await SubscribeAsync(owner, ("https://fcm.googleapis.com/fcm/send/one-too-many", keys.P256dh, keys.Auth));
        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        Assert.Equal(PushDevices.MaxPerBusiness, await app.QueryAsync(d => d.PushDevices.CountAsync()));
    }

    [Theory]
    [InlineData("https://fcm.googleapis.com/fcm/send/abc", false, true)]
    [InlineData("https://updates.push.services.mozilla.com/wpush/v2/abc", false, true)]
    [InlineData("https://web.push.apple.com/abc", false, true)]
    [InlineData("https://8.8.8.8/x", false, true)]
    [InlineData("http://127.0.0.1:5000/push/x", false, false)]
    [InlineData("https://localhost/x", false, false)]
    [InlineData("https://[::1]/x", false, false)]
    [InlineData("http://127.0.0.1:5000/push/x", true, true)]
    [InlineData("http://localhost:5000/push/x", true, true)]
    [InlineData("https://127.0.0.2/x", false, false)]
    [InlineData("https://100.64.0.1/x", false, false)]
    [InlineData("https://[::ffff:10.0.0.1]/x", false, false)]
    [InlineData("https://[64:ff9b::a00:1]/x", false, false)]
    [InlineData("https://user:pass@fcm.googleapis.com/x", false, false)]
    [InlineData("http://fcm.googleapis.com/x", true, false)]
    public void Only_https_to_a_public_host_or_loopback_in_development_may_be_a_push_address(string endpoint, bool loopbackAllowed, bool allowed) =>
        Assert.Equal(allowed, PushEndpointRule.Problem(endpoint, loopbackAllowed) is null);

    [Fact]
    public async Task Removing_a_device_in_settings_stops_its_alerts_and_another_owner_cannot_remove_it()
    {
        await using var push = await FakePushService.StartAsync();
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerWithDeviceAsync(app, push);
        var deviceId = await app.QueryAsync(d => d.PushDevices.Select(x => x.Id).SingleAsync());
        var (stranger, _) = await OwnerClient.SignUpWithBusinessAsync(app, email: "other@example.com", number: "+15125550200");

        var refused = await stranger.PostAsync("/app/settings?handler=RemoveDevice", new() { ["deviceId"] = deviceId.ToString() }, tokenFrom: "/app/settings");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.True(await app.QueryAsync(d => d.PushDevices.AnyAsync()));

        var removed = await owner.PostAsync("/app/settings?handler=RemoveDevice", new() { ["deviceId"] = deviceId.ToString() }, tokenFrom: "/app/settings");
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        Assert.Empty(push.Received);
    }
}
