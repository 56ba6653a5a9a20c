using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Data;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;

namespace Recoverly.Telephony;

/// <summary>
/// A voicemail recording (and its transcriptions) still to be deleted at the provider after its account was deleted
/// (docs/webhooks.md, "Deleting an account"). Written in the deletion's own transaction, so an outage at the provider
/// delays the delete but never loses it; <see cref="DoneAt"/> is set once the provider no longer has it.
/// </summary>
public sealed class ProviderDeletion
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    /// <summary>The provider's recording id: Twilio <c>RE…</c>, or a Telnyx recording UUID.</summary>
    public required string RecordingSid { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public int Attempts { get; set; }
    public DateTime? DoneAt { get; set; }
    /// <summary>Why the last attempt failed (an error type and code, never content).</summary>
    public string? LastProblem { get; set; }
}

/// <summary>
/// Queues and works off <see cref="ProviderDeletion"/> rows: each due row asks the provider to delete the recording's
/// transcriptions, then the recording; "not found" counts as done (an earlier attempt or the owner got there first), any
/// other failure waits and tries again, for as long as it takes. The id says whose recording it is: <c>RE…</c> Twilio's, a UUID Telnyx's.
/// </summary>
public sealed partial class ProviderDeletions(IServiceScopeFactory scopes, TwilioRecordings provider, TelnyxRecordings telnyx, TimeProvider time,
    ILogger<ProviderDeletions> log)
{
    public const int BatchSize = 20;
    public static readonly TimeSpan LongestWait = TimeSpan.FromHours(6);

    /// <summary>The recording id inside a Twilio <c>RecordingUrl</c>; null for any other URL (the simulator's, Telnyx's).</summary>
    public static string? RecordingSid(string? recordingUrl) =>
        recordingUrl is null ? null : TwilioRecordingUrl().Match(recordingUrl) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"/Recordings/(RE[0-9a-fA-F]{32})(?:\.\w+)?(?:[?#]|$)")]
    private static partial Regex TwilioRecordingUrl();

    /// <summary>Queues the deletion of every recording of the business; called inside the account deletion's transaction.</summary>
    public static async Task QueueAsync(RecoverlyDb db, long businessId, DateTime now, CancellationToken ct)
    {
        var urls = await db.MissedCalls.AsNoTracking().Where(c => c.BusinessId == businessId && c.RecordingUrl != null)
            .OrderBy(c => c.Id).Select(c => c.RecordingUrl).ToListAsync(ct);
        var sids = urls.Select(u => RecordingSid(u) ?? TelnyxRecordings.RecordingId(u)).OfType<string>().Distinct().ToList();
        if (sids.Count == 0) return;
        var queued = await db.ProviderDeletions.Where(d => sids.Contains(d.RecordingSid)).Select(d => d.RecordingSid).ToListAsync(ct);
        foreach (var sid in sids.Except(queued))
            db.ProviderDeletions.Add(new ProviderDeletion { BusinessId = businessId, RecordingSid = sid, CreatedAt = now, NextAttemptAt = now });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Works the due rows once. Returns how many are done now.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        var now = time.GetUtcNow().UtcDateTime;
        var due = await db.ProviderDeletions.Where(d => d.DoneAt == null && d.NextAttemptAt <= now)
            .OrderBy(d => d.NextAttemptAt).ThenBy(d => d.Id).Take(BatchSize).ToListAsync(ct);
        var done = 0;
        foreach (var row in due)
        {
            row.Attempts++;
            try
            {
                if (IsTelnyx(row.RecordingSid)) await telnyx.DeleteAsync(row.RecordingSid, ct);
                else await provider.DeleteAsync(row.RecordingSid, ct);
                row.DoneAt = time.GetUtcNow().UtcDateTime;
                row.LastProblem = null;
                done++;
            }
            catch (Exception e) when (e is ApiException or ApiConnectionException or HttpRequestException or TaskCanceledException
                                          or TimeoutException or Newtonsoft.Json.JsonException or System.Text.Json.JsonException
                                      && !ct.IsCancellationRequested)
            {
                row.NextAttemptAt = now + Wait(row.Attempts);
                row.LastProblem = e switch
                {
                    ApiException api => $"{nameof(ApiException)} {api.Status}/{api.Code}",
                    HttpRequestException { StatusCode: { } status } => $"{nameof(HttpRequestException)} {(int)status}",
                    _ => e.GetType().Name,
                };
                log.LogWarning("Deleting recording {RecordingSid} at the provider failed ({Problem}); retrying at {At:u}",
                    row.RecordingSid, row.LastProblem, row.NextAttemptAt);
            }
        }
        if (due.Count > 0)
        {
            using (await db.EnterWriteGateAsync(ct))
                await db.SaveChangesAsync(ct);
        }
        return done;
    }

    /// <summary>Telnyx recording ids are UUIDs; Twilio's start with RE.</summary>
    public static bool IsTelnyx(string recordingSid) => Guid.TryParseExact(recordingSid, "D", out _);

    /// <summary>1, 2, 4 … minutes, at most <see cref="LongestWait"/>.</summary>
    public static TimeSpan Wait(int attempts) =>
        TimeSpan.FromMinutes(Math.Min(LongestWait.TotalMinutes, Math.Pow(2, Math.Min(attempts - 1, 20))));
}

/// <summary>Deletes recordings and their transcriptions through Twilio's REST API (the same HttpClient and base URL as sends).</summary>
public sealed class TwilioRecordings(IHttpClientFactory httpClients, IOptions<TwilioOptions> options)
{
    private ITwilioRestClient Client()
    {
        var o = options.Value;
        return new TwilioRestClient(o.AccountSid, o.AuthToken, accountSid: o.AccountSid,
            httpClient: new SystemNetHttpClient(httpClients.CreateClient(TwilioGateway.HttpClientName)));
    }

    /// <summary>Gone at the provider when this returns (deleted now, or not there any more); throws when the provider could not be asked.</summary>
    public async Task DeleteAsync(string recordingSid, CancellationToken ct)
    {
        var client = Client();
        try
        {
            var transcriptions = await Twilio.Rest.Api.V2010.Account.Recording.TranscriptionResource
                .ReadAsync(new Twilio.Rest.Api.V2010.Account.Recording.ReadTranscriptionOptions(recordingSid), client).WaitAsync(ct);
            foreach (var transcription in transcriptions.ToList())
                await Gone(TranscriptionResource.DeleteAsync(transcription.Sid, client: client).WaitAsync(ct));
            await Gone(RecordingResource.DeleteAsync(recordingSid, client: client).WaitAsync(ct));
        }
        catch (ApiException e) when (e.Status == 404)
        {
            // The recording itself is gone (its transcriptions with it).
        }
    }

    private static async Task Gone(Task<bool> delete)
    {
        try
        {
            await delete;
        }
        catch (ApiException e) when (e.Status == 404)
        {
        }
    }
}

/// <summary>Runs <see cref="ProviderDeletions"/> on dispatcher processes, once a minute.</summary>
public sealed class ProviderDeletionService(ProviderDeletions deletions, TimeProvider time, ILogger<ProviderDeletionService> log) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await deletions.RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Provider deletions pass failed");
            }
            try
            {
                await Task.Delay(Every, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
