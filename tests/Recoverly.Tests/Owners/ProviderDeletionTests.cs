using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Telephony;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Owners;

/// <summary>
/// Deleting an account deletes its voicemail recordings and their transcriptions at the provider too, and a provider
/// outage only delays that: the deletes are queued with the account deletion and retried until they succeed.
/// </summary>
public class ProviderDeletionTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private static Task<int> RunDeletionsAsync(TestApp app) => app.Services.GetRequiredService<ProviderDeletions>().RunOnceAsync(CancellationToken.None);

    [Theory]
    [BothDatabases]
    public async Task Deleting_the_account_deletes_its_recordings_and_transcriptions_at_the_provider_even_after_an_outage(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        var kept = app.TwilioRecordings.Add(); // another account's voicemail on the same Twilio account: never touched
        var voicemails = new[] { app.TwilioRecordings.Add(), app.TwilioRecordings.Add() };
        foreach (var (recording, _, url) in voicemails)
        {
            var callSid = TestApp.NewSid("CA");
            await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, Number, callSid));
            await HttpAssert.OkXmlAsync(await app.PostSignedAsync("/twilio/voice/recording", new()
            {
                ["CallSid"] = callSid, ["RecordingSid"] = recording, ["RecordingUrl"] = url, ["RecordingDuration"] = "12",
                ["TranscriptionText"] = "Leaking boiler, please call back",
            }));
        }
        await RunDeletionsAsync(app);
        Assert.Empty(app.TwilioRecordings.Deletes); // nothing is deleted while the account lives

        app.TwilioRecordings.FailNext(1000); // the provider is down when the owner deletes the account
        var deleted = await owner.PostAsync("/app/data?handler=Delete", new() { ["confirmName"] = "Acme Plumbing", ["password"] = OwnerClient.Password },
            tokenFrom: "/app/data");
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Equal(0, await RunDeletionsAsync(app));
        Assert.All(voicemails, v => Assert.True(app.TwilioRecordings.Has(v.RecordingSid)));
        var waiting = await app.QueryAsync(d => d.ProviderDeletions.OrderBy(x => x.Id).ToListAsync());
        Assert.Equal(voicemails.Select(v => v.RecordingSid).Order(), waiting.Select(w => w.RecordingSid).Order());
        Assert.All(waiting, w => Assert.True(w.DoneAt is null && w.Attempts == 1 && w.LastProblem is not null));

        // Back up: nothing happens before the retry is due, then everything is deleted, transcriptions first.
        app.TwilioRecordings.FailNext(0);
        Assert.Equal(0, await RunDeletionsAsync(app));
        app.Time.Advance(ProviderDeletions.Wait(1));
        Assert.Equal(2, await RunDeletionsAsync(app));

        foreach (var (recording, transcription, _) in voicemails)
        {
            Assert.False(app.TwilioRecordings.Has(recording));
            Assert.False(app.TwilioRecordings.Has(transcription));
            var deletes = app.TwilioRecordings.Deletes.ToList();
            Assert.True(deletes.LastIndexOf($"DELETE Transcriptions/{transcription}") < deletes.LastIndexOf($"DELETE Recordings/{recording}"));
        }
        Assert.True(app.TwilioRecordings.Has(kept.RecordingSid));
        Assert.All(await app.QueryAsync(d => d.ProviderDeletions.ToListAsync()), w => Assert.NotNull(w.DoneAt));

        // Done is done: later passes ask the provider nothing more.
        var asked = app.TwilioRecordings.Deletes.Count;
        app.Time.Advance(TimeSpan.FromHours(7));
        Assert.Equal(0, await RunDeletionsAsync(app));
        Assert.Equal(asked, app.TwilioRecordings.Deletes.Count);
    }

    [Theory]
    [InlineData("https://api.twilio.com/2010-04-01/Accounts/AC11111111111111111111111111111111/Recordings/RE0123456789abcdef0123456789abcdef", "RE0123456789abcdef0123456789abcdef")]
    [InlineData("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123456789abcdef0123456789abcdef.mp3", "RE0123456789abcdef0123456789abcdef")]
    [InlineData("https://api.telnyx.com/recordings/abc.mp3", null)]
    [InlineData("https://example.com/Recordings/RE123", null)]
    [InlineData(null, null)]
    public void The_recording_id_comes_only_from_a_twilio_recording_url(string? url, string? sid) =>
        Assert.Equal(sid, ProviderDeletions.RecordingSid(url));
}
