using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Businesses;
using Recoverly.Telephony;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>
/// Telnyx voicemail recordings (docs/webhooks.md, "Telnyx recordings"): played in the app through the authenticated page, and
/// deleted at Telnyx, transcriptions first, when the account is deleted — retried through an outage.
/// </summary>
public class TelnyxRecordingTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private static async Task<(long ContactId, long CallId)> VoicemailAsync(TestApp app, string recordingId)
    {
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(b => b.Greeting, GreetingKind.Voicemail)));
        var callSid = TestApp.NewTelnyxCallSid();
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number, callSid));
        await HttpAssert.OkXmlAsync(await app.TelnyxVoicemailRecordedAsync(callSid, recordingId));
        await HttpAssert.OkXmlAsync(await app.PostTelnyxFormAsync("/telnyx/voice/recording", new()
        {
            ["CallSid"] = callSid, ["TranscriptionStatus"] = "completed", ["TranscriptionText"] = "Leaking boiler, please call back",
        }));
        return await app.QueryAsync(async d => await d.MissedCalls.Where(c => c.CallSid == callSid)
            .Select(c => new ValueTuple<long, long>(c.ContactId!.Value, c.Id)).SingleAsync());
    }

    [Theory]
    [BothDatabases]
    public async Task A_Telnyx_voicemail_plays_through_the_app_for_its_owner_only(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        using var _owner = owner;
        var recordingId = app.Telnyx.AddRecording();
        var (contactId, callId) = await VoicemailAsync(app, recordingId);
        var path = $"/app/contacts/{contactId}/recording/{callId}";

        var page = await owner.PageAsync($"/app/contacts/{contactId}");
        Assert.Contains($"src=\"{path}\"", page);
        Assert.DoesNotContain(recordingId, page, StringComparison.Ordinal);

        using var audio = await owner.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, audio.StatusCode);
        Assert.Equal("audio/mpeg", audio.Content.Headers.ContentType?.MediaType);
        Assert.Equal(RecordingMedia.SilentMp3(), await audio.Content.ReadAsByteArrayAsync());
        Assert.Contains("no-store", audio.Headers.CacheControl?.ToString());
        Assert.Equal([$"GET recordings/{recordingId}"], app.Telnyx.RecordingRequests);
        var fetch = Assert.Single(app.Telnyx.MediaFetches);
        Assert.StartsWith($"https://{FakeTelnyxApi.MediaHost}/{recordingId}.mp3", fetch.Url);
        Assert.Null(fetch.Authorization); // the API key never goes to the storage host

        var (other, _) = await OwnerClient.SignUpWithBusinessAsync(app, email: "other@example.com", name: "Other Co", number: "+15125550300",
            businessPhone: "+15125550301");
        using (other)
            Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(path)).StatusCode);
        using var anonymous = OwnerClient.Anonymous(app);
        using var signedOut = await anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.StartsWith("/login", signedOut.Headers.Location?.PathAndQuery);
        Assert.Single(app.Telnyx.RecordingRequests); // neither reached Telnyx
        Assert.NotEqual(0, business.Id);
    }

    [Fact]
    public async Task A_download_link_that_is_not_https_is_never_followed()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        using var _owner = owner;
        var recordingId = app.Telnyx.AddRecording();
        var (contactId, callId) = await VoicemailAsync(app, recordingId);
        app.Telnyx.MediaScheme = "http";

        using var audio = await owner.GetAsync($"/app/contacts/{contactId}/recording/{callId}");
        Assert.Equal(HttpStatusCode.BadGateway, audio.StatusCode);
        Assert.Empty(app.Telnyx.MediaFetches);
    }

    [Fact]
    public async Task A_malformed_recording_id_is_refused_and_changes_nothing()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        await app.AddBusinessAsync();
        var callSid = TestApp.NewTelnyxCallSid();
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number, callSid));

        using var bad = await app.PostTelnyxFormAsync("/telnyx/voice/recording", new()
        {
            ["CallSid"] = callSid, ["RecordingSid"] = "../../v2/phone_numbers", ["RecordingUrl"] = "https://evil.example/x.mp3",
        });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Null(await app.QueryAsync(d => d.MissedCalls.Select(c => c.RecordingUrl).SingleAsync()));
    }

    [Theory]
    [InlineData("https://api.telnyx.com/v2/recordings/3fa85f64-5717-4562-b3fc-2c963f66afa6", "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    [InlineData("https://evil.example/v2/recordings/3fa85f64-5717-4562-b3fc-2c963f66afa6.mp3", "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    [InlineData("https://api.telnyx.com/v2/recordings/abc123.wav", null)]
    [InlineData("https://api.telnyx.com/v2/recordings/3fa85f64-5717-4562-b3fc-2c963f66afa6/../../phone_numbers", null)]
    [InlineData("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123456789abcdef0123456789abcdef", null)]
    [InlineData(null, null)]
    public void Only_a_recording_id_is_taken_from_a_stored_reference(string? stored, string? id) =>
        Assert.Equal(id, TelnyxRecordings.RecordingId(stored));

    [Theory]
    [BothDatabases]
    public async Task Deleting_the_account_deletes_its_Telnyx_recordings_and_transcriptions_even_after_an_outage(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        using var _owner = owner;
        var kept = app.Telnyx.AddRecording(); // another business's voicemail on the same Telnyx account: never touched
        var recordingId = app.Telnyx.AddRecording(out var transcriptionId);
        await VoicemailAsync(app, recordingId);
        var deletions = app.Services.GetRequiredService<ProviderDeletions>();

        app.Telnyx.FailRecordingRequests(1000); // Telnyx is down when the owner deletes the account
        var deleted = await owner.PostAsync("/app/data?handler=Delete", new() { ["confirmName"] = "Acme Plumbing", ["password"] = OwnerClient.Password },
            tokenFrom: "/app/data");
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Equal(0, await deletions.RunOnceAsync(CancellationToken.None));
        Assert.True(app.Telnyx.HasRecording(recordingId));
        var waiting = Assert.Single(await app.QueryAsync(d => d.ProviderDeletions.ToListAsync()));
        Assert.Equal(recordingId, waiting.RecordingSid);
        Assert.Equal("HttpRequestException 503", waiting.LastProblem);
        Assert.Null(waiting.DoneAt);

        // Back up: the retry deletes the transcription, then the recording.
        app.Telnyx.FailRecordingRequests(0);
        app.Time.Advance(ProviderDeletions.Wait(1));
        Assert.Equal(1, await deletions.RunOnceAsync(CancellationToken.None));
        Assert.False(app.Telnyx.HasRecording(recordingId));
        Assert.False(app.Telnyx.HasTranscription(transcriptionId));
        Assert.True(app.Telnyx.HasRecording(kept));
        var requests = app.Telnyx.RecordingRequests.ToList();
        Assert.True(requests.LastIndexOf($"DELETE recording_transcriptions/{transcriptionId}") < requests.LastIndexOf($"DELETE recordings/{recordingId}"));
        Assert.NotNull((await app.QueryAsync(d => d.ProviderDeletions.SingleAsync())).DoneAt);
    }

    [Fact]
    public async Task A_recording_already_gone_at_Telnyx_counts_as_deleted()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, Provider.Telnyx);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        using var _owner = owner;
        await VoicemailAsync(app, Guid.NewGuid().ToString()); // a recording Telnyx no longer has

        await owner.PostAsync("/app/data?handler=Delete", new() { ["confirmName"] = "Acme Plumbing", ["password"] = OwnerClient.Password },
            tokenFrom: "/app/data");
        Assert.Equal(1, await app.Services.GetRequiredService<ProviderDeletions>().RunOnceAsync(CancellationToken.None));
        Assert.Null((await app.QueryAsync(d => d.ProviderDeletions.SingleAsync())).LastProblem);
    }
}
