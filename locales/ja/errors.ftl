# ページの外で組み立てられる文言：ストアが守る規則、拒否、通知、エラーページの本文。
# 読む人の言語で表示されます。

error-form-malformed = フォームの内容が不完全か、形式が正しくありません。前のページに戻って、もう一度お試しください。

## 認定
lapse = { $why ->
    [no_training] 修了した研修の記録がありません
    [training_expired] 研修の有効期限が { $on } に切れています
    [training_not_completed] 研修の修了日が未来の日付で記録されています
   *[no_declaration] 研究者誓約書に署名していません
}
invalid-date = 「{ $value }」は 2026-04-01 のような日付ではありません。
invalid-course = 研修名は 1～200 文字で入力してください。
invalid-training-dates = 有効期限は修了日より後の日付にしてください。
invalid-declaration-version = 誓約書の版は 1～40 文字で入力してください。

## アカウント
invalid-username = ユーザー名は 2～64 文字で、英小文字・数字・「.」「_」「-」を使い、英字か数字で始めてください。
invalid-display-name = 氏名は 1～120 文字で、制御文字を含めないでください。
invalid-password = パスワードは 12～256 文字にしてください。
account-has-authenticator = このアカウントには認証アプリがすでに登録されています。
username-taken = ユーザー名 { $username } はすでに使われています。
own-admin-role = 自分自身の管理者ロールは外せません。
invalid-email = 「{ $value }」はメールアドレスではありません。
reset-needs-password = パスワードのリセットには新しいパスワードが必要です。
no-such-language = 「{ $value }」という言語はありません。
password-not-set = パスワードを設定できませんでした。もう一度お試しください。

## アクセスの判断（法則 2）
denial-mfa = 先にワンタイムコードでサインインしてください。
denial-inactive = あなたのアカウントは無効になっています。
denial-accreditation = あなたの認定は有効ではありません：{ lapse }。
denial-no-project = そのようなプロジェクトはありません。
denial-not-approved = このプロジェクトは「{ project-status }」です。承認済みのプロジェクトだけが利用できます。
denial-not-started = このプロジェクトの承認期間は { $on } に始まります。
denial-ended = このプロジェクトの承認期間は { $on } に終わりました。
denial-not-member = あなたはこのプロジェクトのメンバーではありません。
denial-membership-inactive = このプロジェクトでのあなたのメンバー資格は有効ではありません。
denial-not-permitted = このプロジェクトでのあなたのロールでは、この操作はできません。
denial-policy-error = アクセスを判断できなかったため、拒否しました。
nobody-called = { $username } という人はいません。

## 倫理審査委員会への利用申請
app-field-name = { $field ->
    [title] タイトル
    [purpose] 研究の目的
    [lay_summary] 一般向けの概要
    [public_benefit] 社会への利益
    [organisation] 所属組織
    [data_request] 必要なデータ
    [ethics_reference] 倫理委員会の承認番号
    [outputs_intended] 予定している出力
    [starts_on] 開始日
    [ends_on] 終了日
   *[other] { $field }
}
app-field-required = 「{ app-field-name }」を入力してください。
app-field-too-long = 「{ app-field-name }」は { $max } 文字以内にしてください。
app-bad-date = 「{ app-field-name }」は 2026-04-01 のような日付で入力してください。
app-no-dataset = データセットを 1 つ以上選んでください。
app-dates-order = 終了日は開始日より後の日付にしてください。
app-end-past = 終了日が過去の日付です。
app-title-needed = 申請のタイトルを入力してください（200 文字以内）。
app-note-too-long = メモは { $max } 文字以内にしてください。
app-comment-too-long = コメントは { $max } 文字以内にしてください。
app-no-approved-version = この申請には承認された版がありません。
app-unknown-dataset = カタログに { $dataset } というデータセットはありません。
app-unknown-table = 選んだデータセットに { $table } というテーブルはありません。
app-unknown-column = テーブル { $table } に { $column } という列はありません。
app-not-submittable = この申請は「{ app-state }」の状態のため、提出できません。
app-not-accredited = 認定を受けた人だけが申請できます：{ lapse }。
app-project-closed = このプロジェクトは終了しているため、変更の申請はできません。
app-unknown-team = 次のチームメンバーはこのプラットフォームの利用者ではありません：{ $people }。
app-vote-not-open = この申請は「{ app-state }」の状態のため、投票を受け付けていません。
app-vote-not-declared = 先に利益相反の有無を申告してください。
app-vote-conflicted = 利益相反があると申告したため、この申請には投票できません。
app-vote-already = この版にはすでに投票しています。
app-vote-own = この申請のチームに入っているため、投票できません。
app-vote-comment-needed = 条件、求める修正、または却下の理由をコメントに書いてください。
app-not-editable = この申請は「{ app-state }」の状態のため、編集できません。
app-not-withdrawable = この申請は「{ app-state }」の状態のため、取り下げられません。
app-declared-already = この申請については、すでに申告しています。

## 通知
notification-text = { $text }
notification-email-subject = 信頼できる研究環境：お知らせ
notification-email = { $message }

    詳しくはプラットフォームにサインインしてご確認ください。このメッセージは自動で送信されています。

## プロジェクト
project-bad-transition = 「{ project-status }」のプロジェクトを「{ $to ->
    [draft] 下書き
    [approved] 承認済み
    [suspended] 一時停止中
   *[closed] 終了
}」にはできません。
notify-accreditation-ends = あなたの認定は { $until }（あと { $days } 日）で終わります。それまでに研修または誓約書を更新してください。更新しないと、その日にアクセスが終わります。
notify-project-status = プロジェクト「{ $title }」は{ $status ->
    [suspended] 一時停止されました
    [approved] 再開されました
   *[closed] 終了しました
}：{ $reason }。
notify-new-identity = { $provider } の新しい ID（{ $who }）がサインインし、利用者との紐付けを待っています。「所属機関の ID」のページをご覧ください。
notify-application-waits = { $amendment ->
    [true] 変更申請
   *[false] 利用申請
}「{ $title }」（第 { $version } 版）が倫理審査委員会の審査を待っています。
notify-application-decided = 倫理審査委員会が「{ $title }」について決定しました：{ app-state }。
notify-membership = 承認された変更により、プロジェクト「{ $title }」{ $joined ->
    [true] に参加しました
   *[false] でのメンバー資格が終了しました
}。
notify-amendment-decided = 倫理審査委員会が「{ $title }」の変更申請について決定しました：{ $outcome ->
    [approved] 承認（プロジェクトは変更後の内容に従います）
    [rejected] 却下（プロジェクトは変わりません）
   *[changes_requested] 修正の依頼
}。

## 出力と持ち出し
out-field-name = { $field ->
    [title] タイトル
    [purpose] 目的
    [columns_note] 列についての説明
    [sdc_note] 開示についての説明
    [reason] 理由
    [comment] コメント
   *[other] { $field }
}
out-field-required = 「{ out-field-name }」を入力してください。
out-field-too-long = 「{ out-field-name }」は { $max } 文字以内にしてください。
out-not-submittable = この出力は「{ out-state }」のため、いまは持ち出しを申請できません。
out-not-revisable = この出力は「{ out-state }」のため、変更できません。
out-not-withdrawable = この出力は「{ out-state }」のため、取り下げられません。
out-gate-fails = 出力チェックがこの版を不合格としました。不合格のセルを秘匿するかクエリを変えてから、もう一度申請してください。
out-gate-refuses = 出力チェックがこのクエリを拒否しました（どの対処でも解決しません）。クエリを変えてください。
out-vote-not-open = この出力は「{ out-state }」のため、投票を受け付けていません。
out-vote-requester = この持ち出しを申請したのはあなたなので、審査できません。
out-vote-member = あなたはこのプロジェクトのメンバーである（またはあった）ため、その出力を審査できません。
out-vote-already = この版にはすでに投票しています。
out-vote-comment-needed = 変えるべき点、または却下の理由をコメントに書いてください。
out-project-not-open = プロジェクトの承認期間が終わったか一時停止中のため、持ち出しの申請は止められています。
out-release-not-judged = 持ち出しの前に出力をもう一度判定する必要があります。もう一度投票してください。
out-release-changed = いま実行し直すと、この版は別の表になります（抽出データが変わった可能性があります）。解析担当者が新しい版を作る必要があります。
out-release-ledger-moved = その間に別の出力が持ち出されました。出力チェックがそれと照合できるよう、もう一度投票してください。
out-release-gate = いま判定し直すと、出力チェックの結果は「{ gate-status }」です。解析担当者が新しい版を作る必要があります。
out-ledger-changed = 出力の判定中に台帳が変わりました。もう一度投票してください。
gate-params-invalid = パラメーターファイルが正しくありません：{ $problem }
notify-output-waits = 出力「{ $title }」（第 { $version } 版）が持ち出しの審査を待っています。
notify-output-decided = あなたの出力「{ $title }」は「{ out-state }」になりました。
notify-output-decided-comment = あなたの出力「{ $title }」は「{ out-state }」になりました：{ $comment }

## データセットと取り込み
invalid-dataset-name = 「{ $value }」はデータセット名にできません。英小文字で始め、英小文字・数字・「_」「-」で 2～64 文字にしてください。
invalid-table-name = 「{ $value }」はテーブル名にできません。英字で始め、英字・数字・「_」を使ってください。
invalid-description = 説明は 1,000 文字以内にしてください。
ingest-unreadable = { $file }：読み込めません（{ $problem }）。
ingest-unlistable = { $file }：一覧を取得できません（{ $problem }）。
ingest-empty-folder = { $file }：フォルダーに .csv または .parquet のファイルがありません。
ingest-wrong-format = { $file }：取り込めるのは .csv と .parquet のファイルだけです。
ingest-bad-table-name = { $file }：ファイル名をテーブル名にできません（英字で始め、英字・数字・「_」を使ってください）。
ingest-second-file = { $file }：テーブル { $table } のファイルが 2 つあります。
ingest-header-unreadable = { $file }、1 行目：見出し行を読み込めません。
ingest-empty-file = { $file }：ファイルが空です。
ingest-unnamed-column = { $file }、1 行目：{ $column } 列目に名前がありません。
ingest-column-twice = { $file }：列名「{ $column }」が 2 回出てきます。
ingest-header-column-twice = { $file }、1 行目：列名「{ $column }」が 2 回出てきます。
ingest-table-person-type = テーブル { $table }、列 { $column }：個人の識別子は整数か文字列でなければなりません（この列は { $found } です）。
ingest-header-only = { $file }：見出し行はありますが、データの行がありません。
ingest-value-type = { $file }、{ $line } 行目、列 { $column }：値が、それまでの行から決まった型 { $expected } に合いません。
ingest-field-count = { $file }、{ $line } 行目：項目の数が見出し行と違います。
ingest-not-parquet = { $file }：読み込める Parquet ファイルではありません。
ingest-not-csv = { $file }：CSV として読み込めません。
ingest-store-url = ストアの URL が正しくありません。
ingest-person-type = { $file }、列 { $column }：個人の識別子は整数か文字列でなければなりません（この列は { $found } です）。
ingest-table-unreadable = テーブル { $table }：読み込めません。
ingest-persons-uncountable = テーブル { $table }：人数を数えられません。
ingest-person-missing-rows = テーブル { $table }、列 { $column }：{ $count } 行で個人の識別子が欠けています。
ingest-no-such-column = 版 { $version } のどのテーブルにも列「{ $column }」がありません。
ingest-no-columns = { $file }：ファイルに列がありません。
ingest-person-missing = { $file }、{ $at } { $unit ->
    [line] 行目
   *[row] 番目の行
}、列 { $column }：個人の識別子が欠けています。
ingest-no-rows = { $file }：ファイルにデータの行がありません。
ingest-no-person-column = 個人を表す列「{ $column }」を持つテーブルがありません。個人を識別する列を指定してください。
ingest-person-column-needed = 個人を識別する列を指定してください。
ingest-not-recorded = 版を記録できませんでした：{ $problem }
ds-person-column-differs = データセット { $dataset } は「{ $column }」で個人を識別しています。新しい版でも同じ列を使ってください。
ds-person-column-used = このデータセットからは、いまの個人の列で抽出データが作られています。別の列を使うには、新しいデータセットとして取り込んでください。
ds-version-arrived = 人数を数えている間に新しい版が届きました。もう一度お試しください。

## フォームと所属機関によるサインイン
error-form-too-large = フォームの内容が大きすぎます。
error-form-expired = このフォームは有効期限が切れているか、このサイトから送られたものではありません。ページを再読み込みして、もう一度お試しください。
oidc-unknown-provider = そのようなサインインサービスはありません。
oidc-unavailable = 所属機関のサインインサービスにいま接続できません。数分後にもう一度お試しください。
oidc-bad-state = このサインインのリンクはすでに使われたか、ここから始まったものではありません。サインインのページからやり直してください。
oidc-provider-error = 所属機関のサインインサービスでサインインできませんでした（{ $problem }）。サインインのページからやり直してください。
oidc-failed-checks = 所属機関のサインインサービスからの応答が確認に通らなかったため、サインインしていません。サインインのページからやり直してください。繰り返し起きる場合は、管理者に連絡してください。
oidc-blocked = この ID はこのプラットフォームでブロックされています。管理者にお問い合わせください。
oidc-not-linked = 所属機関でのサインインはできましたが、この ID はまだこのプラットフォームの利用者と紐付けられていないため、アクセス権がありません。管理者には通知済みです。紐付けが済んだら、もう一度サインインしてください。
oidc-no-active-person = そのユーザー名の有効な利用者はいません。

## ワークスペースのエンジン（詳細はエンジンが書いたとおりに表示します）
engine-refused = 実行できない文です：{ $detail }
engine-syntax = SQL の構文エラー：{ $detail }
engine-planning = クエリを組み立てられません：{ $detail }
engine-failed = クエリの実行に失敗しました：{ $detail }
engine-timed-out = クエリがワークスペースの制限時間（{ $seconds } 秒）を超えました
engine-busy = 同時に実行できるクエリの数を超えています（{ $detail }）。実行中のクエリが終わるまでお待ちください
engine-setup = ワークスペースのエンジンを起動できませんでした：{ $detail }
engine-stopped = クエリの実行中にワークスペースのエンジンが停止しました（{ $detail }）。次のクエリで再起動します
engine-unavailable = ワークスペースのエンジンを利用できません

## 抽出データ
extract-no-table = プロトコルにテーブルが指定されていません。
extract-date-shift = 日付のずらし幅は 365 日以内にしてください。
extract-table-twice = テーブル { $table } がプロトコルに 2 回出てきます。
extract-no-column = テーブル { $table }：列を 1 つ以上選んでください。
extract-column-twice = テーブル { $table }：列 { $column } が 2 回出てきます。
extract-filter-long = 条件式は 2,000 文字以内にしてください。
extract-filter-function = テーブル { $table }：関数 { $function } は条件式で使えません。
extract-filter-shape = テーブル { $table }：条件式では、その行自身の列どうしの比較しかできません（サブクエリ、集計、ウィンドウ関数は使えません）。
extract-project-not-open = プロジェクト { $project } は「{ project-status }」で、{ $in_date ->
    [true] 承認期間内
   *[false] 承認期間外
}です。抽出データは、承認済みで承認期間内のプロジェクトにだけ作成できます。
extract-filter-unparsed = テーブル { $table }：条件式「{ $filter }」を解釈できないか、存在しない列を指定しています。
extract-unknown-table = このデータセットの版には { $table } というテーブルがありません。
extract-cohort-no-person = コホートのテーブル { $table } に個人の列がありません。
extract-unknown-column = テーブル { $table } に { $column } という列はありません。
extract-rare-text = まれなカテゴリーの処理は文字列の列にだけ使えます。{ $table }.{ $column } は { $found } です。
extract-rare-persons = まれなカテゴリーの処理には個人の列が必要ですが、テーブル { $table } にはありません。
extract-pseudonym-collision = このプロジェクトで 2 人に同じ仮名が割り当てられたため、作成を中止しました（プラットフォームの担当者に報告してください）。
extract-no-key = プロジェクト { $project } には鍵がありません。まだ承認されていません。
extract-no-project = プロジェクト { $project } はありません。
extract-no-dataset = データセット { $dataset } はありません。
extract-no-version = データセット { $dataset } に版 { $version } はありません。
extract-build-failed = 抽出データを作成できませんでした（失敗した処理：{ $step }）。原因はサーバーのログにあります。
