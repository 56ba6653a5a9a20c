using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Hosting;
using Recoverly.Owners;
using Recoverly.Telephony;

namespace Recoverly.Cli;

/// <summary>
/// The operator CLI (README, "Operator CLI"). Bad arguments print one line naming the problem and exit 2
/// before anything is written; with --json, standard output carries only the JSON.
/// </summary>
public static class Commands
{
    private static readonly string[] CliVerbs = ["migrate", "business", "calls", "consent", "operator", "numbers"];

    // Relaxed escaping keeps E.164 numbers readable (+1512…, not \u002B1512…); the output is never embedded in HTML.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static bool IsCliCommand(string[] args) => args.Length > 0 && CliVerbs.Contains(args[0]);

    /// <summary>`serve` is the default command; what follows it is ordinary ASP.NET Core configuration.</summary>
    public static string[] ServeArguments(string[] args) => args.Length > 0 && args[0] == "serve" ? args[1..] : args;

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"error: {OneLine(parsed.Errors[0].Message)}");
            return 2;
        }
        try
        {
            // Our own handler below turns a CliError into the one-line message and exit code 2 (README, "Operator CLI").
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CliError e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
    }

    private sealed class CliError(string message) : Exception(message);

    /// <summary>Some parser messages list the allowed values on separate lines; the contract is one line.</summary>
    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static RootCommand Build()
    {
        var root = new RootCommand("Recoverly: missed-call text-back. Run without a command (or `serve`) to start the app.");

        var migrate = new Command("migrate", "Apply database migrations and exit.");
        migrate.SetAction(async (_, ct) =>
        {
            using var host = await OpenAsync(migrate: false);
            await DatabaseSetup.MigrateAsync(host.Services, ct);
            await Console.Error.WriteLineAsync("Database is up to date.");
            return 0;
        });
        root.Subcommands.Add(migrate);
        root.Subcommands.Add(BusinessCommand());
        root.Subcommands.Add(CallsCommand());
        root.Subcommands.Add(ConsentCommand());
        root.Subcommands.Add(OperatorCommand());
        root.Subcommands.Add(NumbersCommand());
        return root;
    }

    private static Command BusinessCommand()
    {
        var name = new Option<string>("--name") { Description = "Business name as callers know it", Required = true };
        var number = new Option<string>("--number") { Description = "The Recoverly number (E.164) at the provider", Required = true };
        var businessPhone = new Option<string>("--business-phone") { Description = "The number customers dial", Required = true };
        var ownerPhone = new Option<string?>("--owner-phone") { Description = "Owner's mobile; an alert opt-in request is texted to it" };
        var ownerEmail = new Option<string?>("--owner-email") { Description = "Owner's email" };
        var mode = new Option<string>("--mode") { Description = "forwarding or call-through", DefaultValueFactory = _ => "forwarding" };
        mode.AcceptOnlyFromAmong("forwarding", "call-through");
        var timeZone = new Option<string>("--time-zone") { Description = "IANA time zone", DefaultValueFactory = _ => "America/Chicago" };

        var add = new Command("add", "Create a business and assign its Recoverly number.") { name, number, businessPhone, ownerPhone, ownerEmail, mode, timeZone };
        add.SetAction(async (r, ct) =>
        {
            var request = new NewBusiness(r.GetValue(name)!, r.GetValue(number)!, r.GetValue(businessPhone)!, r.GetValue(ownerPhone),
                r.GetValue(ownerEmail), r.GetValue(mode) == "call-through" ? CallMode.CallThrough : CallMode.Forwarding, r.GetValue(timeZone)!);
            if (BusinessRegistry.Validate(request) is { } problem) throw new CliError(problem);
            using var host = await OpenAsync();
            await using var scope = host.Services.CreateAsyncScope();
            var (business, error) = await scope.ServiceProvider.GetRequiredService<BusinessRegistry>()
                .CreateAsync(request, "business add (operator CLI)", ct);
            if (error is not null) throw new CliError(error);
            Console.WriteLine($"Created business {business!.Id} \"{business.Name}\" on {business.Numbers[0].E164}." +
                (business.OwnerPhone is null ? "" : " Owner alert opt-in request queued; alerts start after the owner replies YES."));
            return 0;
        });

        var json = JsonOption();
        var list = new Command("list", "List businesses.") { json };
        list.SetAction(async (r, ct) =>
        {
            using var host = await OpenAsync(readOnly: true);
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            var rows = await db.Businesses.AsNoTracking().OrderBy(b => b.Id)
                .Select(b => new { id = b.Id, name = b.Name, numbers = b.Numbers.Select(n => n.E164).ToList(), businessPhone = b.BusinessPhone, ownerPhone = b.OwnerPhone })
                .ToListAsync(ct);
            if (r.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(rows, Json));
            else foreach (var b in rows) Console.WriteLine($"{b.id}\t{b.name}\t{string.Join(',', b.numbers)}\tline {b.businessPhone}\towner {b.ownerPhone ?? "-"}");
            return 0;
        });
        return new Command("business", "Manage businesses.") { add, list };
    }

    private static Command CallsCommand()
    {
        var business = BusinessOption();
        var json = JsonOption();
        var list = new Command("list", "Missed calls with their outcome and texts.") { business, json };
        list.SetAction(async (r, ct) =>
        {
            using var host = await OpenAsync(readOnly: true);
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            var id = await RequireBusinessAsync(db, r.GetValue(business), ct);
            var calls = await db.MissedCalls.AsNoTracking().Where(c => c.BusinessId == id).OrderByDescending(c => c.Id).ToListAsync(ct);
            var texts = (await db.OutboundMessages.AsNoTracking().Where(m => m.BusinessId == id && m.MissedCallId != null
                    && m.Kind == Texts.OutboundKind.TextBack).ToListAsync(ct))
                .ToLookup(m => m.MissedCallId);
            var rows = calls.Select(c => new
            {
                id = c.Id, callSid = c.CallSid, from = c.FromE164 ?? c.FromRaw, at = c.At, outcome = OutcomeCode(c.Outcome),
                texts = texts[c.Id].Select(t => new { sid = t.ProviderSid, to = t.To, body = t.Body, status = t.Status.ToString().ToLowerInvariant() }).ToList(),
            }).ToList();
            if (r.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(rows, Json));
            else foreach (var c in rows)
                Console.WriteLine($"{c.id}\t{c.at:u}\t{c.from}\t{c.outcome}\t{string.Join(", ", c.texts.Select(t => t.status))}");
            return 0;
        });
        return new Command("calls", "Missed calls.") { list };
    }

    private static Command ConsentCommand()
    {
        var business = BusinessOption();
        var phone = new Option<string>("--phone") { Description = "The phone number (E.164)", Required = true };
        var json = JsonOption();
        var show = new Command("show", "A number's consent history.") { business, phone, json };
        show.SetAction(async (r, ct) =>
        {
            var e164 = Phones.NormalizeUserInput(r.GetValue(phone)) ?? throw new CliError($"--phone '{r.GetValue(phone)}' is not a phone number");
            using var host = await OpenAsync(readOnly: true);
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            var id = await RequireBusinessAsync(db, r.GetValue(business), ct);
            var events = await db.ConsentEvents.AsNoTracking().Where(e => e.BusinessId == id && e.Phone == e164).OrderBy(e => e.Id).ToListAsync(ct);
            var rows = events.Select(e => new { kind = KindCode(e.Kind), source = SourceCode(e.Source), at = e.At, evidence = Evidence(e) }).ToList();
            if (r.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(rows, Json));
            else foreach (var e in rows) Console.WriteLine($"{e.at:u}\t{e.kind}\t{e.source}\t{e.evidence}");
            return 0;
        });

        var exportBusiness = BusinessOption();
        var export = new Command("export", "CSV of all consent events of a business.") { exportBusiness };
        export.SetAction(async (r, ct) =>
        {
            using var host = await OpenAsync(readOnly: true);
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            var id = await RequireBusinessAsync(db, r.GetValue(exportBusiness), ct);
            var events = await db.ConsentEvents.AsNoTracking().Where(e => e.BusinessId == id).OrderBy(e => e.Id).ToListAsync(ct);
            Console.Write(ConsentCsv.Write(events));
            return 0;
        });
        return new Command("consent", "The consent ledger.") { show, export };
    }

    private static Command OperatorCommand()
    {
        var email = new Option<string>("--email") { Description = "The operator's login email", Required = true };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from the first line of standard input" };
        var add = new Command("add", "Create an operator login (or make an existing login an operator); /operator needs one.") { email, passwordStdin };
        add.SetAction(async (r, ct) =>
        {
            if (Accounts.ValidateEmail(r.GetValue(email)) is { } emailError) throw new CliError($"--email: {emailError}");
            string? password = null;
            if (r.GetValue(passwordStdin))
            {
                password = (await Console.In.ReadLineAsync(ct))?.TrimEnd('\r', '\n');
                if (Accounts.ValidatePassword(password) is { } passwordError) throw new CliError($"--password-stdin: {passwordError}");
            }
            var normalized = Accounts.NormalizeEmail(r.GetValue(email));
            using var host = await OpenAsync();
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            var hasher = new PasswordHasher<OwnerAccount>();
            var account = await db.OwnerAccounts.FirstOrDefaultAsync(a => a.Email == normalized, ct);
            if (account is null)
            {
                if (password is null) throw new CliError("--password-stdin is required to create a new login");
                var now = host.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
                // The operator, who runs this installation, vouches for the address typed here.
                account = new OwnerAccount
                {
                    Email = normalized, PasswordHash = "", SecurityStamp = Guid.NewGuid().ToString("N"), IsOperator = true,
                    CreatedAt = now, EmailVerifiedAt = now,
                };
                account.PasswordHash = hasher.HashPassword(account, password);
                db.OwnerAccounts.Add(account);
            }
            else
            {
                account.IsOperator = true;
                if (password is not null) account.PasswordHash = hasher.HashPassword(account, password);
                // Signs out existing sessions, so the next log-in carries the operator role.
                account.SecurityStamp = Guid.NewGuid().ToString("N");
            }
            await db.SaveChangesAsync(ct);
            await OwnerAuth.EndSessionsAsync(db, account.Id, ct);
            Console.WriteLine($"Operator {normalized} ready (account {account.Id}). Log in at /login, then open /operator.");
            return 0;
        });

        var removeEmail = new Option<string>("--email") { Description = "The operator's login email", Required = true };
        var remove = new Command("remove", "Take the operator role from a login; its sessions end at once.") { removeEmail };
        remove.SetAction(async (r, ct) =>
        {
            var normalized = Accounts.NormalizeEmail(r.GetValue(removeEmail));
            using var host = await OpenAsync();
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            var account = await db.OwnerAccounts.FirstOrDefaultAsync(a => a.Email == normalized && a.IsOperator, ct)
                          ?? throw new CliError($"--email: {normalized} is not an operator login");
            account.IsOperator = false;
            account.SecurityStamp = Guid.NewGuid().ToString("N");
            await db.SaveChangesAsync(ct);
            var ended = await OwnerAuth.EndSessionsAsync(db, account.Id, ct);
            Console.WriteLine($"{normalized} is no longer an operator; {ended} session{(ended == 1 ? "" : "s")} ended.");
            return 0;
        });
        return new Command("operator", "Operator logins.") { add, remove };
    }

    private static Command NumbersCommand()
    {
        var addNumber = new Argument<string>("number") { Description = "The number (E.164) in the Twilio or Telnyx account" };
        var note = new Option<string?>("--note") { Description = "A note for operators (never shown to owners)" };
        var add = new Command("add", "Put a number of the Twilio or Telnyx account in the pool sign-ups draw from.") { addNumber, note };
        add.SetAction(async (r, ct) =>
        {
            var e164 = PoolArgument(r.GetValue(addNumber));
            if (r.GetValue(note) is { Length: > NumberPool.MaxNoteLength }) throw new CliError($"--note: keep it under {NumberPool.MaxNoteLength} characters");
            using var host = await OpenAsync();
            var telephony = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelephonyOptions>>().Value;
            if (telephony.IsSimulator)
                throw new CliError("Telephony:Provider is Simulator, which hands out its own practice numbers; the pool is for Telephony:Provider=Twilio or Telnyx");
            await using var scope = host.Services.CreateAsyncScope();
            string? sid, problem;
            if (telephony.IsTelnyx)
            {
                if (string.IsNullOrWhiteSpace(host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelnyxOptions>>().Value.ApiKey))
                    throw new CliError("Telnyx:ApiKey is required to check the number with Telnyx");
                (sid, problem) = await scope.ServiceProvider.GetRequiredService<TelnyxNumberPool>().CheckOwnedAsync(e164, ct);
            }
            else
            {
                var twilio = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TwilioOptions>>().Value;
                if (string.IsNullOrWhiteSpace(twilio.AccountSid) || string.IsNullOrWhiteSpace(twilio.AuthToken))
                    throw new CliError("Twilio:AccountSid and Twilio:AuthToken are required to check the number with Twilio");
                (sid, problem) = await scope.ServiceProvider.GetRequiredService<TwilioNumberPool>().CheckOwnedAsync(e164, ct);
            }
            if (problem is not null) throw new CliError(problem);
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            var now = host.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            if (await NumberPool.AddAsync(db, scope.ServiceProvider.GetRequiredService<IWriteGate>(), e164, sid, r.GetValue(note), now, ct) is { } error)
                throw new CliError(error);
            Console.WriteLine($"Added {e164} to the pool. Sign-ups can take it now; its webhooks are set when one does.");
            // Provisioning check: say now whether its texts would be held (docs/product/registration.md).
            if (host.Services.GetRequiredService<SenderRegistrations>().Enabled)
            {
                var finding = await scope.ServiceProvider.GetRequiredService<TwilioRegistrationLookup>().CheckAsync(e164, sid, ct);
                Console.WriteLine(finding.State == Recoverly.Businesses.SenderRegistration.Registered
                    ? "Registration: registered (10DLC campaign / toll-free verification approved)."
                    : $"Registration: {finding.State.ToString().ToLowerInvariant()} — {finding.Detail}. A business can take it, but its texts are held until it is approved.");
            }
            return 0;
        });

        var json = JsonOption();
        var list = new Command("list", "The pool: each number, and the business that has it.") { json };
        list.SetAction(async (r, ct) =>
        {
            using var host = await OpenAsync(readOnly: true);
            await using var scope = host.Services.CreateAsyncScope();
            var rows = await NumberPool.ListAsync(scope.ServiceProvider.GetRequiredService<RecoverlyDb>(), ct);
            if (r.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(rows.Select(p => new { number = p.Number, businessId = p.BusinessId, note = p.Note, addedAt = p.AddedAt }), Json));
            else foreach (var p in rows)
                Console.WriteLine($"{p.Number}	{(p.BusinessId is { } b ? $"business {b}" : "free")}	{p.AddedAt:u}	{p.Note}");
            return 0;
        });

        var removeNumber = new Argument<string>("number") { Description = "The number (E.164) to take out of the pool" };
        var remove = new Command("remove", "Take a number out of the pool (a business that has it keeps it).") { removeNumber };
        remove.SetAction(async (r, ct) =>
        {
            var e164 = PoolArgument(r.GetValue(removeNumber));
            using var host = await OpenAsync();
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
            if (await NumberPool.RemoveAsync(db, scope.ServiceProvider.GetRequiredService<IWriteGate>(), e164, ct) is { } error) throw new CliError(error);
            var holder = await db.Numbers.AsNoTracking().Where(n => n.E164 == e164).Select(n => (long?)n.BusinessId).FirstOrDefaultAsync(ct);
            Console.WriteLine(holder is { } b ? $"Removed {e164} from the pool; business {b} keeps it." : $"Removed {e164} from the pool.");
            return 0;
        });
        return new Command("numbers", "The pool of Twilio or Telnyx numbers sign-ups draw from.") { add, list, remove };
    }

    private static string PoolArgument(string? value) =>
        Phones.NormalizeUserInput(value) ?? throw new CliError($"number '{value}' is not a phone number such as +15125550100");

    private static Option<long> BusinessOption() => new("--business") { Description = "Business id (see `business list`)", Required = true };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON only on standard output" };

    private static async Task<long> RequireBusinessAsync(RecoverlyDb db, long id, CancellationToken ct) =>
        await db.Businesses.AnyAsync(b => b.Id == id, ct) ? id : throw new CliError($"--business {id}: no such business");

    public static string OutcomeCode(Calls.CallOutcome outcome) => SnakeCase(outcome.ToString());

    public static string KindCode(ConsentKind kind) => SnakeCase(kind.ToString());

    public static string SourceCode(ConsentSource source) => SnakeCase(source.ToString());

    private static string Evidence(ConsentEvent e) => string.Join(" | ", new[] { e.EvidenceRef, e.EvidenceText }.Where(s => !string.IsNullOrEmpty(s)));

    private static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder();
        foreach (var ch in pascal)
        {
            if (char.IsUpper(ch) && sb.Length > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }

    /// <summary>A host without a web server: the same configuration and services as `serve`, logs to standard error.</summary>
    /// <param name="readOnly">Reading commands never create a database: a missing SQLite file is an error, not a new file.</param>
    private static async Task<IHost> OpenAsync(bool migrate = true, bool readOnly = false)
    {
        var builder = Host.CreateApplicationBuilder();
        if (readOnly && DatabaseSetup.ProviderFrom(builder.Configuration) == DatabaseProvider.Sqlite)
        {
            var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(
                builder.Configuration.GetConnectionString("Recoverly") is { Length: > 0 } c ? c : DatabaseSetup.DefaultSqlite).DataSource;
            if (!File.Exists(file)) throw new CliError($"no database at {Path.GetFullPath(file)}; run `migrate` (or start the app) first");
        }
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddRecoverlyFilters();
        builder.Services.AddRecoverlyCore(builder.Configuration);
        var host = builder.Build();
        if (migrate && builder.Configuration.GetValue("Database:MigrateOnStartup", true))
        {
            // A reading command writes nothing when the schema is current: migrating takes EF's migration lock, a write
            // that would wait on (and hold up) a busy server's writes.
            if (readOnly) await DatabaseSetup.MigrateIfPendingAsync(host.Services);
            else await DatabaseSetup.MigrateAsync(host.Services);
        }
        return host;
    }
}

public static class ConsentCsv
{
    public static string Write(IEnumerable<ConsentEvent> events)
    {
        var csv = new StringBuilder("id,business_id,phone,kind,source,at_utc,evidence_ref,evidence_text\n");
        foreach (var e in events)
            csv.AppendJoin(',', e.Id.ToString(CultureInfo.InvariantCulture), e.BusinessId.ToString(CultureInfo.InvariantCulture), Field(e.Phone),
                    Commands.KindCode(e.Kind), Commands.SourceCode(e.Source), e.At.ToString("O", CultureInfo.InvariantCulture),
                    Field(e.EvidenceRef), Field(e.EvidenceText))
                .Append('\n');
        return csv.ToString();
    }

    /// <summary>
    /// A cell starting with one of these is read as a formula by some spreadsheet (tab and carriage return too, and the
    /// full-width forms some locales accept).
    /// </summary>
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];

    /// <summary>RFC 4180 quoting, and a leading quote on formula-like cells so spreadsheets don't execute them.</summary>
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (FormulaStarts.Contains(value[0]) && !PhoneLike(value)) value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }

    private static bool PhoneLike(string value) => value[0] == '+' && value.Skip(1).All(char.IsAsciiDigit);
}
