# プロジェクトの利用申請：申請者のページと倫理審査委員会のページ。

# ドメインの語：利用申請の状態、委員の投票、審査委員会の決定。
app-state = { $state ->
    [draft] 下書き
    [submitted] 倫理審査委員会で審査中
    [changes_requested] 審査委員会から修正の依頼あり
    [approved] 承認済み
    [rejected] 却下
    [withdrawn] 取り下げ済み
    [amending] 承認済み（変更申請を作成中）
    [amendment_submitted] 承認済み（変更申請を倫理審査委員会で審査中）
   *[other] { $state }
}
app-vote = { $vote ->
    [approve] 承認
    [approve_with_conditions] 条件付きで承認
    [request_changes] 修正を依頼
    [reject] 却下
   *[other] { $vote }
}

# 申請者の一覧（applications.html）。
app-list-title = あなたの利用申請
app-list-apply = プロジェクトの利用を申請する
app-list-empty = まだ申請していません。
app-list-application = 利用申請
app-list-state = 状態
app-list-version = 版

# 利用申請のページ（application.html）。
app-title = 利用申請
app-new-heading = プロジェクトの利用を申請する
app-back = あなたの利用申請
app-state-label = 状態
app-submitted-versions = 提出した版
app-project = プロジェクト
app-project-link = 承認されたプロジェクト
app-heading-amend = 承認済みの利用申請の変更（プロジェクトは審査委員会が承認したときにのみ変更されます）
app-heading-edit = 下書きの編集
app-heading-new = あなたの利用申請
app-form-title = タイトル
app-form-purpose = 研究の目的
app-form-lay-summary = 一般向けの概要（公開の登録簿に掲載されます）
app-form-public-benefit = 社会への利益
app-form-organisation = 所属組織
app-form-team = チームメンバーのユーザー名（ご自身を除く）
app-form-datasets = データセット（カタログから：{ $catalogue }）
app-form-data-request = 必要なテーブル、列、コホート、行の条件
app-form-ethics-reference = 倫理委員会の承認番号
app-form-starts-on = 開始日（YYYY-MM-DD）
app-form-ends-on = 終了日（YYYY-MM-DD）
app-form-outputs-intended = 持ち出しを予定している出力
app-save = 下書きを保存
app-submit = 倫理審査委員会に提出
app-the-application = 申請内容
app-withdraw = 利用申請を取り下げる
app-withdraw-amendment = 変更申請を取り下げる

# 申請内容（application_fields.html。申請者と審査委員会のページに表示）。
app-field-purpose = 目的
app-field-lay-summary = 一般向けの概要
app-field-public-benefit = 社会への利益
app-field-organisation = 所属組織
app-field-team = チーム
app-field-datasets = データセット
app-field-data-request = 必要なデータ
app-field-ethics-reference = 倫理委員会の承認番号
app-field-dates = 期間
app-field-dates-value = { $from }～{ $to }
app-field-outputs-intended = 予定している出力

# 審査委員会の決定と投票（application_board.html）。
app-decisions = 審査委員会の決定
app-decision = 第{ $version }版：{ $outcome ->
    [approved] 承認
    [rejected] 却下
    [changes_requested] 修正を依頼
    [amendment_approved] 変更申請を承認
    [amendment_rejected] 変更申請を却下
   *[other] { $outcome }
}
app-decision-condition = （条件：{ $condition }）
app-votes = 現在の版への投票
app-vote-cast = { $name }：{ $vote }
app-vote-comment = ：{ $comment }

# 審査委員会の審査待ち一覧（board_queue.html）。
board-queue-title = 審査委員会の利用申請
board-queue-heading = 審査委員会の審査を待っている利用申請
board-queue-empty = 審査待ちの利用申請はありません。
board-queue-application = 利用申請
board-queue-applicant = 申請者
board-queue-version = 版

# 審査委員会の審査ページ（board_review.html）。
board-review-title = 委員会審査 · { $title }
board-review-back = 審査待ち一覧に戻る
board-review-applicant = 申請者
board-review-state = 状態
board-review-version = 版
board-changes = 第 { $version } 版からの変更点
board-changes-none = この版は前の版から何も変わっていません。
board-conflicts = 利益相反
board-declared-conflicted = { $name }：利益相反あり
board-declared-free = { $name }：利益相反なし
board-declared-note = （{ $note }）
board-declare-legend = この利用申請について利益相反がありますか？
board-declare-no = いいえ
board-declare-yes = はい
board-declare-note = 備考
board-declare = 申告
board-conflicted = 利益相反を申告したため、この利用申請には投票できません。
board-vote-legend = 第{ $version }版への投票
board-vote-comment = コメント（条件、修正の依頼内容、または理由）
board-vote = 投票する
board-error-declare = 利益相反の有無を選んでください。
board-error-vote = 投票内容を選んでください。
