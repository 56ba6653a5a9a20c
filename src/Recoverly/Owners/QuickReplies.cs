using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Texts;

namespace Recoverly.Owners;

/// <summary>A reply the owner saved to insert into the reply box with one tap; never sent by itself.</summary>
public sealed class QuickReply
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    /// <summary>As the owner wrote it; may hold <c>{Business}</c> and <c>{booking_link}</c>.</summary>
    public required string Text { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>The owner's saved quick replies (a handful, managed in Settings, inserted by wwwroot/js/contact.js).</summary>
public static class QuickReplies
{
    public const int MaxLength = 320;
    public const int MaxCount = 10;

    public static Task<List<QuickReply>> ListAsync(RecoverlyDb db, long businessId, CancellationToken ct) =>
        db.QuickReplies.AsNoTracking().Where(q => q.BusinessId == businessId).OrderBy(q => q.Id).ToListAsync(ct);

    /// <summary>What the reply box gets: the placeholders filled in, exactly as the caller will read it.</summary>
    public static string Render(QuickReply reply, Business business) => TextTemplates.Render(reply.Text, business.Name, business.BookingLink);

    /// <summary>Saves a new quick reply; returns why it was refused, or null.</summary>
    public static async Task<string?> AddAsync(RecoverlyDb db, Business business, string? text, DateTime now, CancellationToken ct)
    {
        text = (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (text.Length == 0) return "Write the quick reply first.";
        if (text.Length > MaxLength) return $"That quick reply is too long: at most {MaxLength} characters.";
        if (business.BookingLink is null && TemplateRules.UsesBookingLink(text)) return TemplateRules.NoBookingLink;

        using var _ = await db.EnterWriteGateAsync(ct);
        var existing = await ListAsync(db, business.Id, ct);
        if (existing.Count >= MaxCount) return $"You have {MaxCount} quick replies already: delete one to add another.";
        if (existing.Any(q => q.Text == text)) return "You already have that quick reply.";
        db.QuickReplies.Add(new QuickReply { BusinessId = business.Id, Text = text, CreatedAt = now });
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>False when there is no such quick reply in this business.</summary>
    public static async Task<bool> DeleteAsync(RecoverlyDb db, long businessId, long id, CancellationToken ct)
    {
        using var _ = await db.EnterWriteGateAsync(ct);
        return await db.QuickReplies.Where(q => q.Id == id && q.BusinessId == businessId).ExecuteDeleteAsync(ct) > 0;
    }
}
