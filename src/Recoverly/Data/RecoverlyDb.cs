using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Recoverly.Billing;
using Recoverly.Businesses;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Operator;
using Recoverly.Owners;
using Recoverly.Telephony;
using Recoverly.Texts;

namespace Recoverly.Data;

/// <summary>
/// The system of record. Each database provider has its own subclass so each keeps its own
/// migration set (docs/decisions/0003-two-migration-sets.md).
/// </summary>
public abstract class RecoverlyDb(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Business> Businesses => Set<Business>();
    public DbSet<RecoverlyNumber> Numbers => Set<RecoverlyNumber>();
    public DbSet<MissedCall> MissedCalls => Set<MissedCall>();
    public DbSet<Contact> Contacts => Set<Contact>();
    public DbSet<LearnedLineType> LearnedLineTypes => Set<LearnedLineType>();
    public DbSet<LineTypeLookup> LineTypeLookups => Set<LineTypeLookup>();
    public DbSet<ConsentEvent> ConsentEvents => Set<ConsentEvent>();
    public DbSet<OutboundMessage> OutboundMessages => Set<OutboundMessage>();
    public DbSet<InboundMessage> InboundMessages => Set<InboundMessage>();
    public DbSet<MessageStatusEvent> MessageStatusEvents => Set<MessageStatusEvent>();
    public DbSet<OwnerAccount> OwnerAccounts => Set<OwnerAccount>();
    public DbSet<PasswordResetToken> PasswordResetTokens => Set<PasswordResetToken>();
    public DbSet<EmailVerificationToken> EmailVerificationTokens => Set<EmailVerificationToken>();
    public DbSet<LoginSession> LoginSessions => Set<LoginSession>();
    public DbSet<PoolNumber> PoolNumbers => Set<PoolNumber>();
    public DbSet<FoundingClaim> FoundingClaims => Set<FoundingClaim>();
    public DbSet<BillingEvent> BillingEvents => Set<BillingEvent>();
    public DbSet<SenderSlot> SenderSlots => Set<SenderSlot>();
    public DbSet<OwnerAlertCounter> OwnerAlertCounters => Set<OwnerAlertCounter>();
    public DbSet<QuickReply> QuickReplies => Set<QuickReply>();
    public DbSet<ReportDay> ReportDays => Set<ReportDay>();
    public DbSet<Recoverly.Push.PushDevice> PushDevices => Set<Recoverly.Push.PushDevice>();
    /// <summary>The VAPID key pair when it is not configured: one row, shared by every process (docs/push-alerts.md).</summary>
    public DbSet<Recoverly.Push.WebPushKey> WebPushKeys => Set<Recoverly.Push.WebPushKey>();

    /// <summary>The key ring that protects login cookies, shared by every web process (docs/deploy.md).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<OwnerTextCounter> OwnerTextCounters => Set<OwnerTextCounter>();
    public DbSet<OperatorNotice> OperatorNotices => Set<OperatorNotice>();
    public DbSet<LineVerificationCall> LineVerificationCalls => Set<LineVerificationCall>();
    public DbSet<ScreenedCall> ScreenedCalls => Set<ScreenedCall>();
    public DbSet<Telephony.ProviderDeletion> ProviderDeletions => Set<Telephony.ProviderDeletion>();

    public abstract DatabaseProvider Provider { get; }

    /// <summary>Set when the context is resolved from the app's services (see <c>DatabaseSetup.AddRecoverlyDb</c>).</summary>
    public IWriteGate WriteGate { get; internal set; } = NoWriteGate.Instance;

    /// <summary>Enters the write gate and begins a transaction; commit it explicitly, dispose it always.</summary>
    public Task<WriteTransaction> BeginWriteAsync(CancellationToken ct) => WriteTransaction.BeginAsync(this, ct);

    /// <summary>
    /// Hands the connection back to the pool before a call outside (a provider request, a mail, a push) that can take seconds,
    /// so work waiting on those never holds connections the webhooks need; the next statement takes one again. Closed on the
    /// connection itself: on a context reused from the pool, EF's CloseConnection left it open (measured: docs/benchmarks.md).
    /// Never under an open transaction (start-up's rehearsal runs the dispatcher inside one): closing would end it.
    /// </summary>
    public Task ReleaseConnectionAsync() =>
        Database.CurrentTransaction is null ? Database.GetDbConnection().CloseAsync() : Task.CompletedTask;

    /// <summary>Enters the write gate for one statement that is its own transaction (an ExecuteUpdate, one SaveChanges).</summary>
    public ValueTask<IDisposable> EnterWriteGateAsync(CancellationToken ct) => WriteGate.EnterAsync(ct);

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // Every timestamp is UTC; SQLite hands back Unspecified without this.
        builder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        builder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Business>(e =>
        {
            e.Property(b => b.Name).HasMaxLength(120);
            e.Property(b => b.BusinessPhone).HasMaxLength(20);
            e.Property(b => b.OwnerPhone).HasMaxLength(20);
            e.Property(b => b.OwnerEmail).HasMaxLength(254);
            e.Property(b => b.Mode).HasConversion<string>().HasMaxLength(20);
            e.Property(b => b.Greeting).HasConversion<string>().HasMaxLength(20);
            e.Property(b => b.Plan).HasConversion<string>().HasMaxLength(20);
            e.Property(b => b.TimeZone).HasMaxLength(64);
            e.Property(b => b.TextBackTemplate).HasMaxLength(1600);
            e.Property(b => b.CapDay).HasMaxLength(10);
            e.Property(b => b.AfterHoursTemplate).HasMaxLength(1600);
            e.Property(b => b.OpenDays).HasMaxLength(40);
            e.Property(b => b.ForwardingCarrier).HasMaxLength(40);
            e.Property(b => b.StripeCustomerId).HasMaxLength(64);
            e.Property(b => b.StripeSubscriptionId).HasMaxLength(64);
            e.Property(b => b.BookingLink).HasMaxLength(BookingLink.MaxLength);
            e.Property(b => b.WeeklySummaryWeek).HasMaxLength(10);
            e.Property(b => b.SummaryStopToken).HasMaxLength(64);
            e.Property(b => b.EmergencyWords).HasMaxLength(EmergencyWords.MaxStoredLength);
            e.Property(b => b.VerifiedLine).HasMaxLength(20);
            e.Property(b => b.LineCodeHash).HasMaxLength(64);
            e.Property(b => b.LineCodeTo).HasMaxLength(20);
            e.Ignore(b => b.DialsBusinessLine);
            e.HasIndex(b => b.StripeCustomerId);
            e.HasMany(b => b.Numbers).WithOne().HasForeignKey(n => n.BusinessId);
        });
        model.Entity<LineVerificationCall>(e =>
        {
            e.Property(c => c.To).HasMaxLength(20);
            e.Property(c => c.CallSid).HasMaxLength(64);
            e.HasIndex(c => new { c.BusinessId, c.At });
            e.HasIndex(c => new { c.To, c.At });
            e.HasOne<Business>().WithMany().HasForeignKey(c => c.BusinessId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<ScreenedCall>(e =>
        {
            e.HasKey(c => c.CallSid);
            e.Property(c => c.CallSid).HasMaxLength(64);
            e.HasIndex(c => c.AcceptedAt);
            e.HasOne<Business>().WithMany().HasForeignKey(c => c.BusinessId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<RecoverlyNumber>(e =>
        {
            e.Property(n => n.E164).HasMaxLength(20);
            e.HasIndex(n => n.E164).IsUnique();
            e.Property(n => n.Registration).HasConversion<string>().HasMaxLength(20);
            e.Property(n => n.RegistrationDetail).HasMaxLength(300);
        });
        model.Entity<MissedCall>(e =>
        {
            e.Property(c => c.CallSid).HasMaxLength(64);
            e.Property(c => c.FromRaw).HasMaxLength(64);
            e.Property(c => c.FromE164).HasMaxLength(20);
            e.Property(c => c.To).HasMaxLength(20);
            e.Property(c => c.Outcome).HasConversion<string>().HasMaxLength(20);
            e.Property(c => c.StirVerstat).HasMaxLength(64);
            e.Property(c => c.ForwardedFrom).HasMaxLength(64);
            e.Property(c => c.CallStatus).HasMaxLength(20);
            e.Property(c => c.RecordingUrl).HasMaxLength(500);
            e.Property(c => c.Transcription).HasMaxLength(4000);
            e.Property(c => c.TranscriptionStatus).HasMaxLength(20);
            e.Property(c => c.CallerName).HasMaxLength(CallerNames.MaxLength);
            e.HasIndex(c => c.CallSid).IsUnique();
            // Covers the report's grouped count (Owners/RecoveryReport.cs): a year of calls is read from the index alone,
            // not fetched row by row from the table (docs/benchmarks.md); its (BusinessId, At) prefix serves every date range.
            e.HasIndex(c => new
            {
                c.BusinessId, c.At, c.Outcome, c.EpisodeFirstCallId, c.CallerRepliedAt, c.OwnerRepliedAt, c.CalledBackAt, c.WonAt, c.JobValueCents,
            }).HasDatabaseName("IX_MissedCalls_Report");
            // The inbox's keyset pages (Owners/Inbox.cs).
            e.HasIndex(c => new { c.BusinessId, c.LastActivityAt, c.Id });
            e.HasIndex(c => c.ContactId);
            e.HasOne<Business>().WithMany().HasForeignKey(c => c.BusinessId);
        });
        model.Entity<ReportDay>(e =>
        {
            e.HasKey(d => new { d.BusinessId, d.Day });
            e.Property(d => d.Zone).HasMaxLength(64);
            e.HasOne<Business>().WithMany().HasForeignKey(d => d.BusinessId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<Contact>(e =>
        {
            e.Property(c => c.Phone).HasMaxLength(20);
            e.Property(c => c.UrgentWord).HasMaxLength(EmergencyWords.MaxWordLength);
            e.HasIndex(c => new { c.BusinessId, c.Phone }).IsUnique();
            // The inbox's urgent conversations: a small partial index, empty for most businesses.
            e.HasIndex(c => new { c.BusinessId, c.UrgentAt }).HasFilter("\"UrgentAt\" IS NOT NULL");
            e.HasOne<Business>().WithMany().HasForeignKey(c => c.BusinessId);
        });
        model.Entity<LearnedLineType>(e =>
        {
            e.HasKey(l => new { l.BusinessId, l.Phone });
            e.HasOne<Business>().WithMany().HasForeignKey(l => l.BusinessId).OnDelete(DeleteBehavior.Cascade);
            e.Property(l => l.Phone).HasMaxLength(20);
            e.Property(l => l.LineType).HasMaxLength(20);
        });
        model.Entity<LineTypeLookup>(e =>
        {
            e.HasKey(l => l.Phone);
            e.Property(l => l.Phone).HasMaxLength(20);
            e.Property(l => l.LineType).HasMaxLength(20);
            e.Property(l => l.CarrierName).HasMaxLength(100);
        });
        model.Entity<ConsentEvent>(e =>
        {
            e.Property(c => c.Phone).HasMaxLength(20);
            e.Property(c => c.Kind).HasConversion<string>().HasMaxLength(20);
            e.Property(c => c.Source).HasConversion<string>().HasMaxLength(20);
            e.Property(c => c.EvidenceRef).HasMaxLength(200);
            e.Property(c => c.EvidenceText).HasMaxLength(2000);
            e.HasIndex(c => new { c.BusinessId, c.Phone, c.Id });
            e.HasOne<Business>().WithMany().HasForeignKey(c => c.BusinessId);
        });
        model.Entity<OutboundMessage>(e =>
        {
            e.Property(m => m.Kind).HasConversion<string>().HasMaxLength(24);
            e.Property(m => m.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(m => m.To).HasMaxLength(20);
            e.Property(m => m.From).HasMaxLength(40);
            e.Property(m => m.Body).HasMaxLength(1600);
            e.Property(m => m.DedupeKey).HasMaxLength(100);
            e.Property(m => m.LeaseOwner).HasMaxLength(64);
            e.Property(m => m.ProviderSid).HasMaxLength(64);
            e.Property(m => m.ProviderStatus).HasMaxLength(20);
            e.Property(m => m.Reason).HasConversion<string>().HasMaxLength(32);
            e.HasIndex(m => m.DedupeKey).IsUnique();
            e.HasIndex(m => m.ProviderSid).IsUnique();
            // The dispatcher's claim reads only the rows still to be sent (docs/product/sending.md, "The due index").
            e.HasIndex(m => m.NextAttemptAt).HasFilter(Dispatch.SendableSql.IndexFilter).HasDatabaseName("IX_OutboundMessages_Due");
            e.HasIndex(m => new { m.BusinessId, m.To, m.Status });
            e.HasIndex(m => m.MissedCallId);
            e.HasIndex(m => new { m.BusinessId, m.Kind, m.CreatedAt });
            e.HasOne<Business>().WithMany().HasForeignKey(m => m.BusinessId);
        });
        model.Entity<InboundMessage>(e =>
        {
            e.Property(m => m.MessageSid).HasMaxLength(64);
            e.Property(m => m.From).HasMaxLength(20);
            e.Property(m => m.To).HasMaxLength(20);
            e.Property(m => m.Body).HasMaxLength(1600);
            e.Property(m => m.Intent).HasConversion<string>().HasMaxLength(20);
            e.HasIndex(m => m.MessageSid).IsUnique();
            e.HasIndex(m => new { m.BusinessId, m.ContactId, m.At });
            e.HasOne<Business>().WithMany().HasForeignKey(m => m.BusinessId);
        });
        model.Entity<OwnerAccount>(e =>
        {
            e.Property(a => a.Email).HasMaxLength(254);
            e.Property(a => a.PasswordHash).HasMaxLength(200);
            e.Property(a => a.SecurityStamp).HasMaxLength(64);
            e.HasIndex(a => a.Email).IsUnique();
            e.HasIndex(a => a.BusinessId).IsUnique();
        });
        model.Entity<PasswordResetToken>(e =>
        {
            e.Property(t => t.TokenHash).HasMaxLength(64);
            e.HasIndex(t => t.TokenHash).IsUnique();
            e.HasOne<OwnerAccount>().WithMany().HasForeignKey(t => t.AccountId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<EmailVerificationToken>(e =>
        {
            e.Property(t => t.TokenHash).HasMaxLength(64);
            e.HasIndex(t => t.TokenHash).IsUnique();
            e.HasIndex(t => new { t.AccountId, t.CreatedAt });
            e.HasOne<OwnerAccount>().WithMany().HasForeignKey(t => t.AccountId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<LoginSession>(e =>
        {
            e.HasKey(s => s.Key);
            e.Property(s => s.Key).HasMaxLength(64);
            e.HasIndex(s => s.AccountId);
            e.HasOne<OwnerAccount>().WithMany().HasForeignKey(s => s.AccountId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<PoolNumber>(e =>
        {
            e.Property(p => p.E164).HasMaxLength(20);
            e.Property(p => p.ProviderSid).HasMaxLength(64);
            e.Property(p => p.Note).HasMaxLength(NumberPool.MaxNoteLength);
            e.HasIndex(p => p.E164).IsUnique();
        });
        model.Entity<FoundingClaim>(e =>
        {
            e.HasKey(c => c.Slot);
            e.Property(c => c.Slot).ValueGeneratedNever();
            e.HasIndex(c => c.BusinessId).IsUnique();
            e.HasOne<Business>().WithMany().HasForeignKey(c => c.BusinessId);
        });
        model.Entity<BillingEvent>(e =>
        {
            e.HasKey(b => b.StripeEventId);
            e.Property(b => b.StripeEventId).HasMaxLength(100);
            e.Property(b => b.Type).HasMaxLength(100);
        });
        model.Entity<OperatorNotice>(e =>
        {
            e.HasKey(n => n.Topic);
            e.Property(n => n.Topic).HasMaxLength(64);
            e.Property(n => n.Message).HasMaxLength(500);
        });
        model.Entity<Telephony.ProviderDeletion>(e =>
        {
            e.Property(d => d.RecordingSid).HasMaxLength(64);
            e.Property(d => d.LastProblem).HasMaxLength(200);
            e.HasIndex(d => d.RecordingSid).IsUnique();
            e.HasIndex(d => new { d.DoneAt, d.NextAttemptAt });
        });
        model.Entity<OwnerAlertCounter>(e =>
        {
            e.HasKey(c => c.BusinessId);
            e.Property(c => c.Day).HasMaxLength(10);
            e.HasOne<Business>().WithMany().HasForeignKey(c => c.BusinessId);
        });
        model.Entity<OwnerTextCounter>(e =>
        {
            e.HasKey(c => c.Key);
            e.Property(c => c.Key).HasMaxLength(80);
            e.Property(c => c.Day).HasMaxLength(10);
        });
        model.Entity<SenderSlot>(e =>
        {
            e.HasKey(s => s.Sender);
            e.Property(s => s.Sender).HasMaxLength(40);
        });
        model.Entity<QuickReply>(e =>
        {
            e.Property(q => q.Text).HasMaxLength(Owners.QuickReplies.MaxLength);
            e.HasIndex(q => q.BusinessId);
            e.HasOne<Business>().WithMany().HasForeignKey(q => q.BusinessId);
        });
        model.Entity<Recoverly.Push.PushDevice>(e =>
        {
            e.Property(d => d.Endpoint).HasMaxLength(Recoverly.Push.PushEndpointRule.MaxLength);
            e.Property(d => d.P256dh).HasMaxLength(100);
            e.Property(d => d.Auth).HasMaxLength(50);
            e.Property(d => d.Label).HasMaxLength(80);
            e.HasIndex(d => d.Endpoint).IsUnique();
            e.HasIndex(d => d.BusinessId);
            e.HasOne<Business>().WithMany().HasForeignKey(d => d.BusinessId);
        });
        model.Entity<Recoverly.Push.WebPushKey>(e =>
        {
            e.Property(k => k.Id).ValueGeneratedNever();
            e.Property(k => k.PublicKey).HasMaxLength(100);
            e.Property(k => k.PrivateKey).HasMaxLength(100);
        });
        model.Entity<MessageStatusEvent>(e =>
        {
            e.Property(s => s.MessageSid).HasMaxLength(64);
            e.Property(s => s.Status).HasMaxLength(20);
            e.HasIndex(s => new { s.MessageSid, s.Status }).IsUnique();
        });
    }

    internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}

public enum DatabaseProvider { Sqlite, Postgres }

public sealed class SqliteRecoverlyDb(DbContextOptions<SqliteRecoverlyDb> options) : RecoverlyDb(options)
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class PostgresRecoverlyDb(DbContextOptions<PostgresRecoverlyDb> options) : RecoverlyDb(options)
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
