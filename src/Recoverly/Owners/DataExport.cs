using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;

namespace Recoverly.Owners;

/// <summary>Everything Recoverly holds for one business, as one JSON document, streamed so a big account never sits in memory.</summary>
public static class DataExport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static async Task WriteAsync(RecoverlyDb db, Business business, DateTime exportedAt, PipeWriter output, CancellationToken ct)
    {
        var id = business.Id;
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("exportedAt", exportedAt);
        json.WritePropertyName("business");
        JsonSerializer.Serialize(json, new
        {
            business.Id, business.Name, business.BusinessPhone, business.OwnerPhone, business.OwnerEmail, business.Mode, business.TimeZone,
            business.Greeting, business.EpisodeWindowMinutes, business.TextingPaused, business.Plan, business.TrialEndsAt, business.TextBackTemplate,
            business.AfterHoursTemplate, business.OpensAt, business.ClosesAt, business.OpenDays, business.QuietHoursStart, business.QuietHoursEnd,
            business.EmailAlerts, business.CreatedAt,
        }, Json);

        await SectionAsync(json, output, "numbers",
            db.Numbers.AsNoTracking().Where(n => n.BusinessId == id).OrderBy(n => n.Id).Select(n => new { n.E164, n.AssignedAt }), ct);
        await SectionAsync(json, output, "calls",
            db.MissedCalls.AsNoTracking().Where(c => c.BusinessId == id).OrderBy(c => c.Id).Select(c => new
            {
                c.Id, c.CallSid, From = c.FromE164 ?? c.FromRaw, c.To, c.At, c.Outcome, c.ContactId, c.EpisodeFirstCallId, c.CallStatus,
                c.DurationSeconds, c.RecordingUrl, c.Transcription,
            }), ct);
        await SectionAsync(json, output, "contacts",
            db.Contacts.AsNoTracking().Where(c => c.BusinessId == id).OrderBy(c => c.Id)
                .Select(c => new { c.Id, c.Phone, c.CreatedAt, c.LastActivityAt, c.LastTextBackAt }), ct);
        await SectionAsync(json, output, "messagesIn",
            db.InboundMessages.AsNoTracking().Where(m => m.BusinessId == id).OrderBy(m => m.Id)
                .Select(m => new { m.Id, m.MessageSid, m.From, m.To, m.Body, m.At, m.Intent, m.FromOwner, m.ContactId }), ct);
        await SectionAsync(json, output, "messagesOut",
            db.OutboundMessages.AsNoTracking().Where(m => m.BusinessId == id).OrderBy(m => m.Id).Select(m => new
            {
                m.Id, m.Kind, m.To, m.From, m.Body, m.Status, m.Reason, m.ErrorCode, m.ProviderSid, m.CreatedAt, m.SentAt, m.DeliveredAt,
                m.ContactId, m.MissedCallId,
            }), ct);
        await SectionAsync(json, output, "consentEvents",
            db.ConsentEvents.AsNoTracking().Where(e => e.BusinessId == id).OrderBy(e => e.Id)
                .Select(e => new { e.Id, e.Phone, e.Kind, e.Source, e.EvidenceRef, e.EvidenceText, e.At }), ct);
        json.WriteEndObject();
        await json.FlushAsync(ct);
        await output.FlushAsync(ct);
    }

    private static async Task SectionAsync<T>(Utf8JsonWriter json, PipeWriter output, string name, IQueryable<T> rows, CancellationToken ct)
    {
        json.WriteStartArray(name);
        var n = 0;
        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(ct))
        {
            JsonSerializer.Serialize(json, row, Json);
            if (++n % 500 == 0)
            {
                await json.FlushAsync(ct);
                await output.FlushAsync(ct);
            }
        }
        json.WriteEndArray();
    }
}
