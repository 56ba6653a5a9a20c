using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Businesses;
using Recoverly.Operator;
using Recoverly.Telephony;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>Numbers whose 10DLC campaign / toll-free verification is not approved hold their texts (docs/product/registration.md).</summary>
public class RegistrationTests
{
    private const string Number = "+15125550100";
    private const string Caller = "+15125550142";
    private const string Banner = "Texting starts when registration is approved";
    private const string HeldChip = "Held — number not yet registered";

    private static readonly Dictionary<string, string?> CheckOn = new()
    {
        ["Twilio:RegistrationCheck"] = "true",
        ["Twilio:MessagingServiceSid"] = "MG00000000000000000000000000000001",
    };

    private static async Task<TestApp> StartAsync(Db db, string? campaign, bool checkOn = true)
    {
        var app = await TestApp.StartAsync(db, checkOn ? new Dictionary<string, string?>(CheckOn) : null);
        app.TwilioNumbers.CampaignStatus = campaign;
        app.TwilioNumbers.Own(Number);
        return app;
    }

    private static Task<RecoverlyNumber> NumberRowAsync(TestApp app) => app.QueryAsync(d => d.Numbers.AsNoTracking().SingleAsync(n => n.E164 == Number));

    private static Task<List<OutboundMessage>> TextBacksAsync(TestApp app) =>
        app.QueryAsync(d => d.OutboundMessages.AsNoTracking().Where(m => m.Kind == OutboundKind.TextBack).OrderBy(m => m.Id).ToListAsync());

    private static Task<int> RecheckAsync(TestApp app) => app.Services.GetRequiredService<SenderRegistrations>().CheckDueAsync(CancellationToken.None);

    [Theory]
    [BothDatabases]
    public async Task Pending_number_holds_the_text_back_and_the_owner_sees_why(Db db)
    {
        await using var app = await StartAsync(db, "IN_PROGRESS");
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, number: Number);
        Assert.Equal(SenderRegistration.Pending, (await NumberRowAsync(app)).Registration);

        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();

        Assert.Empty(app.SmsApi.Sent);
        Assert.Equal(OutboundStatus.Pending, Assert.Single(await TextBacksAsync(app)).Status);
        var inbox = await owner.TextAsync("/app");
        Assert.Contains(Banner, inbox);
        Assert.Contains(HeldChip, inbox);
    }

    [Theory]
    [BothDatabases]
    public async Task Approval_sends_the_held_text_once_and_the_banner_goes(Db db)
    {
        await using var app = await StartAsync(db, "IN_PROGRESS");
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, number: Number);
        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        Assert.Empty(app.SmsApi.Sent);

        app.TwilioNumbers.CampaignStatus = "VERIFIED";
        Assert.Equal(0, await RecheckAsync(app)); // not due before the 15-minute re-check
        app.Time.Advance(SenderRegistrations.RecheckEvery);
        Assert.Equal(1, await RecheckAsync(app));
        await app.DispatchAsync();
        await app.DispatchAsync();

        Assert.Equal(Caller, Assert.Single(app.SmsApi.Sent).To);
        Assert.Equal(SenderRegistration.Registered, (await NumberRowAsync(app)).Registration);
        var inbox = await owner.TextAsync("/app");
        Assert.DoesNotContain(Banner, inbox);
        Assert.DoesNotContain(HeldChip, inbox);
    }

    [Theory]
    [BothDatabases]
    public async Task Held_text_back_past_its_hour_expires_unsent_on_approval(Db db)
    {
        await using var app = await StartAsync(db, "PENDING");
        await OwnerClient.SignUpWithBusinessAsync(app, number: Number);
        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();

        app.TwilioNumbers.CampaignStatus = "VERIFIED";
        app.Time.Advance(TimeSpan.FromMinutes(61));
        await RecheckAsync(app);
        await app.DispatchAsync();

        Assert.Empty(app.SmsApi.Sent);
        var text = Assert.Single(await TextBacksAsync(app));
        Assert.Equal(OutboundStatus.Expired, text.Status);
        Assert.Equal(OutboxReason.NotSentInTime, text.Reason);
    }

    [Theory]
    [BothDatabases]
    public async Task Rejected_campaign_raises_an_operator_notice_and_tells_the_owner(Db db)
    {
        await using var app = await StartAsync(db, "FAILED");
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, number: Number);

        var number = await NumberRowAsync(app);
        Assert.Equal(SenderRegistration.Rejected, number.Registration);
        var notice = Assert.Single(await app.QueryAsync(d => d.OperatorNotices.ToListAsync()));
        Assert.Equal(OperatorNotices.SenderRegistration, notice.Topic);
        Assert.Contains("rejected", notice.Message);
        var inbox = await owner.TextAsync("/app");
        Assert.Contains(Banner, inbox);
        Assert.Contains("needs another try", inbox);

        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        Assert.Empty(app.SmsApi.Sent);
    }

    [Theory]
    [BothDatabases]
    public async Task A_30034_marks_the_number_unregistered_and_holds_later_texts(Db db)
    {
        await using var app = await StartAsync(db, "VERIFIED");
        await OwnerClient.SignUpWithBusinessAsync(app, number: Number);
        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        var first = Assert.Single(app.SmsApi.Sent);

        (await app.MessageStatusAsync(first.Sid, "undelivered", 30034)).EnsureSuccessStatusCode();

        var number = await NumberRowAsync(app);
        Assert.Equal(SenderRegistration.Pending, number.Registration);
        Assert.Contains("30034", number.RegistrationDetail);
        Assert.Equal(OperatorNotices.SenderRegistration, Assert.Single(await app.QueryAsync(d => d.OperatorNotices.ToListAsync())).Topic);

        (await app.MissedCallAsync("+15125550143")).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        Assert.Single(app.SmsApi.Sent);
        Assert.Equal(OutboundStatus.Pending, (await TextBacksAsync(app))[^1].Status);
    }

    [Theory]
    [BothDatabases]
    public async Task A_failed_check_is_unknown_and_retried_and_never_blocks_a_registered_number(Db db)
    {
        await using var app = await StartAsync(db, "VERIFIED");
        app.TwilioNumbers.RegistrationDown = true;
        await OwnerClient.SignUpWithBusinessAsync(app, number: Number);
        Assert.Equal(SenderRegistration.Unknown, (await NumberRowAsync(app)).Registration);
        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        Assert.Empty(app.SmsApi.Sent);

        app.Time.Advance(SenderRegistrations.RecheckEvery);
        Assert.Equal(1, await RecheckAsync(app));
        Assert.Equal(SenderRegistration.Unknown, (await NumberRowAsync(app)).Registration);

        app.TwilioNumbers.RegistrationDown = false;
        app.Time.Advance(SenderRegistrations.RecheckEvery);
        await RecheckAsync(app);
        await app.DispatchAsync();
        Assert.Single(app.SmsApi.Sent);

        // Registered now: Twilio being down again changes nothing for it, and it is not asked about.
        app.TwilioNumbers.RegistrationDown = true;
        var asked = app.TwilioNumbers.RegistrationRequests;
        app.Time.Advance(SenderRegistrations.RecheckEvery);
        Assert.Equal(0, await RecheckAsync(app));
        (await app.MissedCallAsync("+15125550143")).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        Assert.Equal(2, app.SmsApi.Sent.Count);
        Assert.Equal(asked, app.TwilioNumbers.RegistrationRequests);
    }

    [Theory]
    [BothDatabases]
    public async Task With_the_check_off_nothing_changes(Db db)
    {
        await using var app = await StartAsync(db, "FAILED", checkOn: false);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, number: Number);
        (await app.MissedCallAsync(Caller)).EnsureSuccessStatusCode();
        await app.DispatchAsync();
        var sent = Assert.Single(app.SmsApi.Sent);
        (await app.MessageStatusAsync(sent.Sid, "undelivered", 30034)).EnsureSuccessStatusCode();

        Assert.Equal(SenderRegistration.Registered, (await NumberRowAsync(app)).Registration);
        Assert.Equal(0, app.TwilioNumbers.RegistrationRequests);
        Assert.Empty(await app.QueryAsync(d => d.OperatorNotices.ToListAsync()));
        Assert.DoesNotContain(Banner, await owner.TextAsync("/app"));
    }
}
